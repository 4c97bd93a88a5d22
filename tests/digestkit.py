"""Builders of realistic Digest objects for the digest, web-view and delivery tests and benchmarks.

    digest = make_digest(mentees=2, leads_per_mentee=3)

gives a mentor (Jordan Reyes, Europe/London) with two mentees, each with three leads taken
from a pool of plausible postings: company careers pages and job boards, salaries in several
currencies and shapes, scores across the range matching produces (0.11-0.59), why/gap terms,
and contacts in the mentor's network (one with an email, one with only a profile link).
Everything is fixed: the same arguments always build the same Digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aggregator.core.models import (
    Contact,
    Digest,
    DigestLead,
    Mentee,
    MenteeDigest,
    Mentor,
    Posting,
    Salary,
    SeenAt,
    StoredMatch,
    StoredPosting,
)

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)  # a Monday, 07:00 in London
SENDER = "Mentor Leads <leads@mentor-leads.example.org>"
PAGE_BASE = "https://leads.example.org/mentees"

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_COMPANY = "<img src=x onerror=alert(1)>"
HOSTILE_URL = "javascript:alert(1)"
HOSTILE_DESCRIPTION = 'Great team "><a href="javascript:alert(2)">apply here</a> <b onclick=x>'
# Text that would add a header or a field to a naively built mailto: link.
HOSTILE_MAILTO_TITLE = "Engineer&body=pwned\r\nBcc: evil@example.com?cc=evil@example.com"


@dataclass(frozen=True, slots=True)
class Job:
    """A plausible posting and where it was seen."""

    title: str
    company: str
    location: str
    remote: bool
    salary: Salary | None
    description: str
    company_url: str | None  # the company's own careers page or ATS
    board: tuple[str, str] | None  # (source name, URL) on a job board


JOBS: tuple[Job, ...] = (
    Job(
        "Senior Backend Engineer (Python)", "Kestrel Payments", "London, UK", True,
        Salary(85000, 105000, "GBP", "year"),
        "Kestrel moves money for 4,000 small businesses. You will design and run the Python "
        "services behind our ledger: Django, PostgreSQL, Celery and Kafka on AWS, with "
        "Terraform for infrastructure. We value clear writing, careful code review and "
        "on-call that is shared fairly across the team.",
        "https://boards.greenhouse.io/kestrelpayments/jobs/4419021",
        ("weworkremotely", "https://weworkremotely.com/remote-jobs/kestrel-payments-senior-backend-engineer-python"),
    ),
    Job(
        "Frontend Developer, Design Systems", "Brightwave Health", "Berlin, Germany", False,
        Salary(60000, 75000, "EUR", "year"),
        "Help patients book care in three taps. You will own our React and TypeScript "
        "component library, work closely with designers on accessibility (WCAG 2.2 AA) and "
        "write Storybook docs the whole company uses.",
        "https://jobs.ashbyhq.com/brightwave/5f1c2d7e-frontend-design-systems",
        None,
    ),
    Job(
        "Data Analyst", "Northwind Analytics", "Remote (US)", True,
        Salary(None, None, None, None, "Competitive salary + equity"),
        "Turn messy retail data into weekly decisions. SQL every day, dbt and Looker most "
        "days, Python when it helps. Experience with experimentation (A/B tests) is a plus.",
        None,
        ("remotive", "https://remotive.com/remote-jobs/data/data-analyst-1882231"),
    ),
    Job(
        "Site Reliability Engineer", "Fjord Logistics", "Oslo, Norway", True,
        Salary(750000, 900000, "NOK", "year"),
        "Keep 300 warehouses' scanners talking to our platform. Kubernetes, Prometheus and "
        "Grafana, Go for tooling, GitOps with Argo CD. Incident reviews without blame.",
        "https://fjordlogistics.recruitee.com/o/site-reliability-engineer",
        ("arbeitnow", "https://www.arbeitnow.com/jobs/fjord-logistics/site-reliability-engineer-oslo-210443"),
    ),
    Job(
        "Junior Full-Stack Developer", "Lumen Learning Labs", "Manchester, UK", False,
        Salary(32000, 38000, "GBP", "year"),
        "Our first junior hire since 2023: a mentor, a learning budget and real features "
        "from week one. Ruby on Rails, Hotwire, PostgreSQL; we pair most afternoons.",
        "https://lumenlearning.workable.com/j/7C1A55D2E9",
        ("jobicy", "https://jobicy.com/jobs/99120-junior-full-stack-developer"),
    ),
    Job(
        "Machine Learning Engineer, Search", "Quillstone", "Toronto, Canada", True,
        Salary(140000, 175000, "CAD", "year"),
        "Improve search relevance for 20 million documents: learning-to-rank, embeddings, "
        "offline evaluation and A/B tests. PyTorch, Elasticsearch, Airflow.",
        "https://jobs.lever.co/quillstone/8d8a1b0e-4c55-4f0e-9a51-3f0ad3f1c2b7",
        None,
    ),
    Job(
        "Platform Engineer (contract)", "Harbourline Media", "Amsterdam, Netherlands", False,
        Salary(85.0, 95.5, "EUR", "hour"),
        "Six-month contract to move our video pipeline from VMs to ECS. Terraform, AWS, "
        "GitHub Actions, a little Bash. Dutch not required.",
        None,
        ("himalayas", "https://himalayas.app/companies/harbourline-media/jobs/platform-engineer-contract"),
    ),
    Job(
        "Product Designer", "Tidewater Energy", "Austin, TX", False,
        Salary(110000, None, "USD", "year"),
        "Design the app 80,000 households use to see and shift their energy use. Figma, user "
        "research, prototyping; you will present work to customers every month.",
        "https://tidewater.energy/careers/product-designer",
        ("remoteok", "https://remoteok.com/remote-jobs/product-designer-tidewater-energy-1093421"),
    ),
    Job(
        "QA Automation Engineer", "Pinecrest Software", "Lisbon, Portugal", True,
        None,
        "Build the Playwright suite that lets us ship on Fridays. TypeScript, CI in GitHub "
        "Actions, contract tests for our public API.",
        "https://apply.workable.com/pinecrest-software/j/4B9E0F1A2C",
        None,
    ),
    Job(
        "Customer Support Engineer", "Orbital Docs", "", True,
        Salary(None, 70000, "USD", "year"),
        "Answer the hardest tickets from developers using our API, reproduce bugs, write "
        "the fix when it is small. Some JavaScript and SQL, lots of patience.",
        None,
        ("weworkremotely", "https://weworkremotely.com/remote-jobs/orbital-docs-customer-support-engineer"),
    ),
)  # fmt: skip

MENTEES: tuple[tuple[str, str], ...] = (
    ("Sam Okafor", "sam.okafor@example.com"),
    ("Alex Chen", "alex.chen@example.net"),
    ("Priya Raman", "priya+jobs@example.org"),
    ("Zoë Müller", "zoe.mueller@example.de"),
    ("José García", "jose.garcia@example.es"),
)
SCORES = (0.58, 0.49, 0.41, 0.34, 0.31, 0.27, 0.22, 0.18, 0.14, 0.11)
WHY = (
    ("python", "django", "postgresql"),
    ("react", "typescript", "accessibility"),
    ("sql", "dbt", "looker"),
    ("kubernetes", "prometheus"),
    ("rails",),
)
GAPS = (("Terraform", "GraphQL"), (), ("Kafka",), ("Go", "Argo CD"), ())


def make_mentor(name: str = "Jordan Reyes", timezone: str = "Europe/London") -> Mentor:
    """The mentor a digest goes to."""
    return Mentor(id="jordan", name=name, email="jordan.reyes@example.com", timezone=timezone)


def make_mentee(index: int, name: str | None = None) -> Mentee:
    """Mentee ``index`` of a fixed list (Sam, Alex, Priya, Zoë, José, then numbered ones)."""
    default_name, email = MENTEES[index % len(MENTEES)]
    if index >= len(MENTEES):
        default_name, email = f"{default_name} {index}", email.replace("@", f"{index}@")
    return Mentee(name=name or default_name, email=email, mentor="jordan")


def make_posting(job: Job, *, posted_at: datetime | None, variant: int = 0) -> Posting:
    """The Posting for ``job``; ``variant`` > 0 makes a distinct copy for large digests."""
    suffix = f" #{variant}" if variant else ""
    board_url = job.board[1] if job.board else None
    url = job.company_url or board_url or ""
    return Posting(
        source=job.board[0] if job.board and not job.company_url else "careers",
        external_id=hashlib.sha256(f"{url}{suffix}".encode()).hexdigest()[:12],
        url=url,
        title=f"{job.title}{suffix}",
        company=job.company,
        location=job.location,
        remote=job.remote,
        salary=job.salary,
        posted_at=posted_at,
        description_text=job.description,
    )


def make_lead(
    posting: Posting,
    *,
    mentee: Mentee,
    score: float,
    lead_id: int,
    seen_at: tuple[SeenAt, ...] | None = None,
    contacts: tuple[Contact, ...] = (),
    why: tuple[str, ...] = ("python",),
    gaps: tuple[str, ...] = (),
    first_seen: datetime = NOW - timedelta(days=1),
) -> DigestLead:
    """A DigestLead for ``posting``; seen only where the posting itself points unless given."""
    stored = StoredPosting(
        id=lead_id, posting=posting, first_seen=first_seen, last_seen=first_seen, lead_id=lead_id
    )
    match = StoredMatch(
        mentee=mentee.id, lead_id=lead_id, score=score, why=why, gaps=gaps,
        scored_at=first_seen, posting=stored,
    )  # fmt: skip
    places = seen_at if seen_at is not None else (SeenAt(posting.source, posting.url),)
    return DigestLead(match=match, seen_at=places, contacts=contacts)


def job_seen_at(job: Job) -> tuple[SeenAt, ...]:
    """Where ``job`` was seen: its company page first, then the board."""
    places = []
    if job.company_url:
        places.append(SeenAt("careers", job.company_url, company_page=True))
    if job.board:
        places.append(SeenAt(*job.board))
    return tuple(places)


def email_contact(company: str) -> Contact:
    """A contact at ``company`` with an email address."""
    return Contact(
        name="Jane Doe", company=company, email="jane.doe@example.com",
        position="Engineering Manager",
    )  # fmt: skip


def profile_contact(company: str) -> Contact:
    """A contact at ``company`` known only by a LinkedIn profile (as in a LinkedIn export)."""
    return Contact(
        name="Tomás Ortega", company=company, position="Staff Engineer",
        url="https://www.linkedin.com/in/tomas-ortega-example",
    )  # fmt: skip


def make_digest(
    mentees: int = 2,
    leads_per_mentee: int = 3,
    *,
    with_contacts: bool = True,
    hostile: bool = False,
    now: datetime = NOW,
    mentor: Mentor | None = None,
    page_urls: bool = True,
) -> Digest:
    """A digest for ``mentees`` mentees with ``leads_per_mentee`` leads each (0 = an empty one).

    With contacts, each mentee's first lead has a contact with an email and the second one a
    contact with only a profile link. ``hostile`` makes the first mentee's first two leads
    carry markup, script links and mailto-breaking text.
    """
    people = [make_mentee(index) for index in range(mentees)]
    sections = tuple(
        MenteeDigest(
            mentee=mentee,
            leads=_leads(mentee, index, leads_per_mentee, with_contacts, now),
            page_url=f"{PAGE_BASE}/{mentee.id}" if page_urls else None,
        )
        for index, mentee in enumerate(people)
    )
    if hostile and sections and sections[0].leads:
        first = sections[0]
        leads = (*hostile_leads(first.mentee, now), *first.leads[2:])
        sections = (MenteeDigest(first.mentee, leads, first.page_url), *sections[1:])
    return Digest(
        mentor=mentor or make_mentor(),
        sections=sections,
        sender=SENDER,
        composed_at=now,
        message_id=f"<digest-{mentees}-{leads_per_mentee}-{int(now.timestamp())}@mentor-leads>",
    )


def _leads(
    mentee: Mentee, mentee_index: int, count: int, with_contacts: bool, now: datetime
) -> tuple[DigestLead, ...]:
    leads = []
    for number in range(count):
        position = mentee_index * 3 + number  # mentees share some jobs, as in real digests
        job = JOBS[position % len(JOBS)]
        posted = None if position % 7 == 6 else now - timedelta(days=1 + position % 5)
        contacts: tuple[Contact, ...] = ()
        if with_contacts and number < 2:
            contacts = ((email_contact, profile_contact)[number](job.company),)
        leads.append(
            make_lead(
                make_posting(job, posted_at=posted, variant=position // len(JOBS)),
                mentee=mentee,
                score=SCORES[(mentee_index + number) % len(SCORES)],
                lead_id=1000 + position,
                seen_at=job_seen_at(job),
                contacts=contacts,
                why=WHY[position % len(WHY)],
                gaps=GAPS[position % len(GAPS)],
                first_seen=now - timedelta(hours=20 + position),
            )
        )
    return tuple(leads)


def hostile_leads(mentee: Mentee, now: datetime) -> tuple[DigestLead, DigestLead]:
    """Two leads whose posting text tries to become markup, script links or mailto fields."""
    scripted = Posting(
        source="<b>board</b>",
        external_id="evil-1",
        url=HOSTILE_URL,
        title=HOSTILE_TITLE,
        company=HOSTILE_COMPANY,
        location='<b onmouseover="alert(3)">Berlin</b>',
        salary=Salary(text="<svg onload=alert(4)>"),
        posted_at=now - timedelta(days=2),
        description_text=HOSTILE_DESCRIPTION,
    )
    scripted_places = (
        SeenAt("<i>careers</i>", " javascript:alert(5)", company_page=True),
        SeenAt("data-board", "data:text/html,<script>alert(6)</script>"),
        SeenAt("tabbed", "java\tscript:alert(7)"),
    )
    contact = Contact(
        name='<a href="javascript:alert(8)">Mallory</a>', company=HOSTILE_COMPANY,
        url="javascript:alert(9)",
    )  # fmt: skip
    breaking = Posting(
        source="careers",
        external_id="evil-2",
        url="https://jobs.example.com/apply?id=7&ref=digest#top",
        title=HOSTILE_MAILTO_TITLE,
        company="Smith & Sons%0D%0ABcc:evil@example.com",
        posted_at=now - timedelta(days=3),
        description_text="Line one\r\nBcc: evil@example.com\r\n\r\n<p>body</p>",
    )
    return (
        make_lead(
            scripted, mentee=mentee, score=0.52, lead_id=666, seen_at=scripted_places,
            contacts=(contact,), why=("<u>rust</u>",), gaps=('"><script>alert(10)</script>',),
        ),
        make_lead(
            breaking, mentee=mentee, score=0.33, lead_id=667,
            contacts=(email_contact("Smith & Sons"),), gaps=("Terraform", "GraphQL"),
        ),
    )  # fmt: skip
