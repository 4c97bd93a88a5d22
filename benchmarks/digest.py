"""`leads digest` at scale: 500 mentors x 10 mentees x 10 leads, sent to a loopback SMTP server.

Runs aggregator.stages.digest.deliver end to end, the code path `leads digest` takes: pending
matches read from SQLite, each mentor's network indexed, 500 digests rendered (Jinja2 text and
HTML, CSS inlined), sent through one SmtpSender connection (security none) and recorded as
delivered. The SMTP server is aiosmtpd in a separate process on 127.0.0.1 (this script run
with --serve), so it does not share the benchmark's GIL; it accepts every message and logs
its size, which gives the messages and bytes the server really received.

Set-up (timed, but not part of the figure): postings recombined from recorded ones
(match_scale.recombined_postings: WWR 2022-11 feeds and Google careers postings) stored in a
fresh SQLite database, a fifth of them seen again on the company's own careers page; an
AppConfig built in code with mentors in varied timezones, each with an inline network of
contacts (half of them at companies of the mentor's leads, some spelt differently, so Connect
lines appear) and their mentees; every mentee's matches written with Store.save_matches,
each mentor's mentees matched to different leads. The database is copied before the first
delivery and every timed run starts from a fresh copy, with nothing kept of the postings an
earlier run read (the prep sheets' caches), as a new process starts.

Figures: wall time of deliver (median of --repeats), the time spent in SmtpSender.send, the
peak RSS during delivery (VmHWM reset before it) and of the whole process, per-message
compose / render / send / record times measured step by step on --sample more mentors (with
the time each lead's interview prep sheet took within compose, and their share of it), the
messages and bytes the server received, and the delivered leads as Store.delivered reports
them. Memory is read from the kernel; tracemalloc is not used (it would slow the run).

    .venv/bin/python benchmarks/digest.py [--mentors 500] [--mentees-per-mentor 10]
                                          [--leads 10] [--postings 6000] [--repeats 3]
                                          [--sample 25] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import html
import os
import pstats
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiosmtpd.controller import Controller
from match_scale import NOW, recombined_postings

from aggregator.core.config import (
    AppConfig,
    DeliveryConfig,
    MatchingConfig,
    SmtpConfig,
    WebConfig,
)
from aggregator.core.models import (
    Contact,
    DigestSettings,
    Match,
    Mentee,
    MenteeProgress,
    Mentor,
    SourceState,
    StoredPosting,
    slugify,
)
from aggregator.stages import digest as digest_stage
from aggregator.store import Store
from digests.render import render_digest
from digests.senders import Sender, SmtpSender
from matchers.prep import forget_postings_read

HOST = "127.0.0.1"
FROM = "Mentor Leads <leads@mentor-leads.example.org>"
PAGE_BASE = "https://leads.example.org"  # web.base_url with --page-links
TARGET_SECONDS = 30.0
CONTACTS_PER_MENTOR = 50
SERVER_START_SECONDS = 30.0
BATCH = 1_000
TIMEZONES = (
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo",
    "Africa/Lagos", "Pacific/Auckland",
)
FIRST = (
    "Sam", "Alex", "Priya", "Maria", "Dev", "Jana", "Tom", "Aisha", "Kenji", "Lucía", "Omar",
    "Zoë", "Chidi", "Ingrid", "Mateo", "Mei", "Noah", "Fatima", "Lars", "Ana", "Kwame", "Sofia",
    "Ravi", "Elena", "Yusuf", "Hana", "Diego", "Amara", "Jonas", "Leila",
)
LAST = (
    "Lee", "Kim", "Nair", "Okafor", "Raman", "Novak", "Ibarra", "Haddad", "Sato", "García",
    "Mensah", "Schulz", "Costa", "Ivanova", "Dubois", "Chen", "Adeyemi", "Larsen", "Silva",
    "Kowalski", "Moreau", "Tanaka", "Osei", "Rossi", "Petrov", "Nguyen", "Müller", "Park",
)
SKILLS = (
    "python", "django", "postgresql", "docker", "kubernetes", "terraform", "aws", "react",
    "typescript", "figma", "user research", "sql", "tableau", "go", "rust", "java", "spring",
    "node.js", "graphql", "machine learning", "customer support", "zendesk", "seo", "excel",
    "product management", "ruby on rails", "linux", "ci/cd", "android", "swift",
)
POSITIONS = ("Engineering Manager", "Recruiter", "Senior Engineer", "Head of Product",
             "Data Scientist", "Designer", "Talent Partner", "CTO")
# Ways a mentor's LinkedIn export spells a company differently from a posting.
SPELLINGS: tuple[Callable[[str], str], ...] = (
    lambda c: c, lambda c: f"{c}, Inc.", lambda c: c.upper(), lambda c: f"{c} Ltd",
)


# -- the SMTP server (runs in its own process) --------------------------------------------


class CountingSink:
    """aiosmtpd handler: accepts every message and logs its size, one line per message."""

    def __init__(self, log: Path) -> None:
        self._log = log.open("a", buffering=1, encoding="ascii")  # a line reaches the file at once

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept the message; its size goes to the log."""
        self._log.write(f"{len(envelope.original_content or b'')}\n")
        return "250 Message accepted for delivery"


def serve(port: int, log: Path) -> None:
    """Run the counting SMTP server on 127.0.0.1:``port`` until SIGTERM or SIGINT."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = Controller(CountingSink(log), hostname=HOST, port=port)
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(log: Path) -> Iterator[int]:
    """The counting server in a child process; yields its port once it accepts connections."""
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(log)])
    try:
        wait_until_listening(child, port)
        yield port
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def wait_until_listening(child: subprocess.Popen[bytes], port: int) -> None:
    """Poll connect until the server accepts (it imports the project first, so takes a while)."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the SMTP server exited with {child.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(
        f"the SMTP server did not listen on {HOST}:{port} within {SERVER_START_SECONDS:.0f} s"
    )


def received(log: Path) -> list[int]:
    """The size of every message the server accepted so far."""
    return [int(line) for line in log.read_text("ascii").split()]


# -- set-up -------------------------------------------------------------------------------


def fill_store(store: Store, count: int) -> list[StoredPosting]:
    """``count`` recombined postings, a fifth also on a careers page; one posting per lead."""
    postings = [
        replace(p, source="board", description_html=as_html(p.description_text))
        for _, p in recombined_postings(count, seed=5)
    ]
    careers = [
        replace(p, source="careers", url=f"https://careers.example.com/{slugify(p.company)}/{n}")
        for n, p in enumerate(postings)
        if n % 5 == 0
    ]
    first_seen = NOW - timedelta(days=7)
    for start in range(0, len(postings), BATCH):
        when = first_seen + timedelta(minutes=start)
        store.save_collected(SourceState(name="board"), postings[start : start + BATCH], when)
    store.save_collected(SourceState(name="careers"), careers, NOW - timedelta(days=1),
                         company_page=True)
    return list(store.lead_postings())


def as_html(text: str) -> str:
    """The description as collected postings keep it too: sanitised HTML, a <p> per paragraph.

    Recombined postings carry only text; real ones carry both, and the store loads both.
    """
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def person(number: int, domain: str) -> tuple[str, str]:
    """A name and an email address, unique by ``number``."""
    name = f"{FIRST[number % len(FIRST)]} {LAST[(number // len(FIRST)) % len(LAST)]}"
    return name, f"{slugify(name)}.{number}@{domain}"


def network(rng: random.Random, companies: Sequence[str], everyone: Sequence[str], mentor: int
            ) -> tuple[Contact, ...]:
    """Contacts half at the mentor's leads' companies (spelt variously), half elsewhere."""
    contacts = []
    for n in range(CONTACTS_PER_MENTOR):
        company = rng.choice(companies if n % 2 == 0 and companies else everyone)
        name, email = person(mentor * CONTACTS_PER_MENTOR + n + 7, "contacts.example.net")
        contacts.append(Contact(
            name=name,
            company=rng.choice(SPELLINGS)(company),
            email=email if n % 3 else None,
            position=rng.choice(POSITIONS),
            url=f"https://www.linkedin.com/in/{slugify(name)}-{n}",
        ))
    return tuple(contacts)


@dataclass(frozen=True)
class Population:
    """The config and every mentee's matches."""

    config: AppConfig
    results: list[tuple[MenteeProgress, list[Match]]]


def population(args: argparse.Namespace, leads: Sequence[StoredPosting], port: int
               ) -> Population:
    """Mentors with networks, their mentees, and each mentee's matches to distinct leads."""
    rng = random.Random(11)
    per_mentor = args.mentees_per_mentor * args.leads
    if per_mentor > len(leads):
        raise SystemExit(f"{len(leads)} leads are too few for {per_mentor} per mentor; "
                         "raise --postings")
    everyone = sorted({lead.posting.company for lead in leads if lead.posting.company})
    mentors: list[Mentor] = []
    mentees: list[Mentee] = []
    results: list[tuple[MenteeProgress, list[Match]]] = []
    for m in range(args.mentors):
        chosen = rng.sample(leads, per_mentor)
        companies = sorted({lead.posting.company for lead in chosen if lead.posting.company})
        name, email = person(m, "mentors.example.org")
        mentor = Mentor(
            id=f"mentor-{m:04d}", name=name, email=email, timezone=TIMEZONES[m % len(TIMEZONES)],
            digest=DigestSettings(max_leads_per_mentee=args.leads),
            network=network(rng, companies, everyone, m),
        )
        mentors.append(mentor)
        for k in range(args.mentees_per_mentor):
            number = m * args.mentees_per_mentor + k
            mentee = mentee_of(rng, number, mentor.id)
            mentees.append(mentee)
            mine_leads = chosen[k * args.leads : (k + 1) * args.leads]
            progress = MenteeProgress(mentee.id, "bench", "bench", mine_leads[-1].lead_id)
            results.append((progress, [matched(rng, mentee, lead) for lead in mine_leads]))
    smtp = SmtpConfig.model_validate(
        {"host": HOST, "port": port, "security": "none", "from": FROM, "timeout": 60}
    )
    config = AppConfig(
        delivery=DeliveryConfig(method="smtp", smtp=smtp),
        mentors=tuple(mentors),
        mentees=tuple(mentees),
        # The recombined postings are dated up to 60 days back: every matched lead is to be
        # delivered, so none is too old here (the default of 45 days left a quarter out).
        matching=MatchingConfig(max_age_days=None),
    )
    return Population(config, results)


def mentee_of(rng: random.Random, number: int, mentor: str) -> Mentee:
    """A mentee of ``mentor`` with a few skills."""
    name, email = person(number, "mentees.example.org")
    return Mentee(id=f"mentee-{number:05d}", name=name, email=email, mentor=mentor,
                  skills=tuple(rng.sample(SKILLS, 5)))


def matched(rng: random.Random, mentee: Mentee, lead: StoredPosting) -> Match:
    """A match with a score in the range matching produces, why-terms and gaps."""
    why = (*rng.sample(mentee.skills, 2), *lead.posting.tags[:1])
    gaps = tuple(s for s in rng.sample(SKILLS, 3) if s not in mentee.skills)
    return Match(mentee.id, str(lead.lead_id), round(rng.uniform(0.11, 0.59), 4), why, gaps)


# -- measuring ----------------------------------------------------------------------------


class TimedSender(Sender):
    """An SmtpSender that adds up the time its ``send`` takes."""

    def __init__(self, inner: SmtpSender) -> None:
        self.inner = inner
        self.seconds = 0.0

    def send(self, message: EmailMessage) -> None:
        """Send through the SMTP sender, timed."""
        began = time.perf_counter()
        self.inner.send(message)
        self.seconds += time.perf_counter() - began

    def close(self) -> None:
        """Close the SMTP connection."""
        self.inner.close()

    def describe(self) -> str:
        """The SMTP sender's description."""
        return self.inner.describe()


def reset_peak_rss() -> None:
    """Start VmHWM afresh (Linux 4.0+), so the next peak is the delivery's own."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def rss_mib(field_name: str) -> float:
    """VmRSS or VmHWM of this process from /proc, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class Run:
    """One timed delivery."""

    wall: float
    cpu: float
    send: float
    sent: int
    failed: int
    delivered: int
    rss_before: float
    rss_peak: float
    messages: list[int]


def copy_store(pristine: Path, folder: Path, name: str) -> Store:
    """A fresh copy of the set-up database, opened."""
    db = folder / f"{name}.db"
    shutil.copyfile(pristine, db)
    return Store(f"sqlite:///{db}")


def timed_run(pristine: Path, folder: Path, config: AppConfig, log: Path, number: int) -> Run:
    """Deliver every digest into a fresh copy of the store, and check what was recorded."""
    store = copy_store(pristine, folder, f"run{number}")
    forget_postings_read()  # each run cold, as cron's `leads digest` starts
    before = len(received(log))
    sender = TimedSender(SmtpSender(_smtp(config)))
    reset_peak_rss()
    rss_before = rss_mib("VmRSS")
    cpu, began = time.process_time(), time.perf_counter()
    report = digest_stage.deliver(config, store, lambda: NOW, sender_factory=lambda: sender)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    rss_peak = rss_mib("VmHWM")
    sent = sum(o.status is digest_stage.DigestStatus.SENT for o in report.outcomes)
    delivered = len(store.delivered())
    store.close()
    return Run(wall, cpu, sender.seconds, sent, len(report.failures), delivered, rss_before,
               rss_peak, received(log)[before:])


def _smtp(config: AppConfig) -> SmtpConfig:
    assert config.delivery.smtp is not None
    return config.delivery.smtp


def split(pristine: Path, folder: Path, config: AppConfig, sample: int) -> dict[str, list[float]]:
    """Per-message seconds of each step of a delivery, done one by one for ``sample`` mentors."""
    store = copy_store(pristine, folder, "split")
    forget_postings_read()
    steps: dict[str, list[float]] = {"compose": [], "render": [], "send": [], "record": []}
    with SmtpSender(_smtp(config)) as sender, timed_prep() as prep:
        for mentor in config.mentors[-sample:]:
            marks = [time.perf_counter()]
            composition = digest_stage.compose(config, store, mentor, NOW)
            marks.append(time.perf_counter())
            message = render_digest(composition.digest)
            marks.append(time.perf_counter())
            sender.send(message)
            marks.append(time.perf_counter())
            digest = composition.digest
            store.record_delivery(mentor.id, digest_stage.delivered_pairs(digest),
                                  digest.message_id, NOW, passed_over=composition.passed_over)
            marks.append(time.perf_counter())
            for step, began, ended in zip(steps, marks, marks[1:], strict=False):
                steps[step].append(ended - began)
    store.close()
    steps["of compose: prep sheets"] = [sum(prep)]
    steps["prep sheet, per lead"] = prep
    return steps


@contextlib.contextmanager
def timed_prep() -> Iterator[list[float]]:
    """The seconds each interview prep sheet took while composing (the digest stage's
    prep_sheet, timed where compose calls it)."""
    seconds: list[float] = []
    untimed = digest_stage.prep_sheet

    def timed(found: Any, mentee: Any) -> Any:
        began = time.perf_counter()
        sheet = untimed(found, mentee)
        seconds.append(time.perf_counter() - began)
        return sheet

    digest_stage.prep_sheet = timed  # type: ignore[assignment]
    try:
        yield seconds
    finally:
        digest_stage.prep_sheet = untimed  # type: ignore[assignment]


def profile(pristine: Path, folder: Path, config: AppConfig) -> None:
    """One delivery under cProfile: where the time goes, by own time and by cumulative time."""
    store = copy_store(pristine, folder, "profile")
    forget_postings_read()
    profiler = cProfile.Profile()
    profiler.runcall(digest_stage.deliver, config, store, lambda: NOW,
                     sender_factory=lambda: SmtpSender(_smtp(config)))
    store.close()
    stats = pstats.Stats(profiler).strip_dirs()
    for order in ("tottime", "cumulative"):
        print(f"\n-- cProfile of one delivery, top 25 by {order} --")
        stats.sort_stats(order).print_stats(25)


# -- the run ------------------------------------------------------------------------------


def main() -> int:
    """Set up, deliver --repeats times, and print the figures with PASS/FAIL."""
    args = arguments()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    try:
        return bench(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def arguments() -> argparse.Namespace:
    """The command line; the defaults are the sizes of issue 5."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--mentors", type=int, default=500)
    parser.add_argument("--mentees-per-mentor", type=int, default=10)
    parser.add_argument("--leads", type=int, default=10, help="matches per mentee, all shown")
    parser.add_argument("--postings", type=int, default=6_000, help="postings stored")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=25, help="mentors timed step by step")
    parser.add_argument("--profile", action="store_true", help="also run one under cProfile")
    parser.add_argument("--page-links", action="store_true",
                        help="mentees have web pages (web.base_url): the forward emails link "
                        "to each lead's prep sheet there instead of carrying it")  # fmt: skip
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "LOG"), help=argparse.SUPPRESS)
    return parser.parse_args()


def bench(args: argparse.Namespace, folder: Path) -> int:
    """The benchmark proper, with its work files in ``folder``."""
    mentees = args.mentors * args.mentees_per_mentor
    expected = mentees * args.leads
    print(f"Digest: {args.mentors:,} mentors x {args.mentees_per_mentor} mentees x {args.leads} "
          f"leads = {expected:,} leads in {args.mentors:,} messages; {os.cpu_count()} cores, "
          f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    log = folder / "received.log"
    log.touch()
    with smtp_server(log) as port:
        began = time.perf_counter()
        store = Store(f"sqlite:///{folder / 'leads.db'}")
        leads = fill_store(store, args.postings)
        stored = time.perf_counter()
        people = population(args, leads, port)
        if args.page_links:
            web = WebConfig(base_url=PAGE_BASE, secret_file=str(folder / "web.key"))
            people = replace(people, config=people.config.model_copy(update={"web": web}))
        built = time.perf_counter()
        store.save_matches(people.results, NOW - timedelta(hours=1), replace_all=True)
        store.close()  # checkpoints the WAL: the .db file alone is the whole database
        ended = time.perf_counter()
        print(f"  set-up {ended - began:.1f} s: {args.postings:,} postings -> {len(leads):,} "
              f"leads stored {stored - began:.1f} s; config with "
              f"{args.mentors * CONTACTS_PER_MENTOR:,} contacts and {mentees:,} mentees "
              f"{built - stored:.1f} s; {expected:,} matches saved {ended - built:.1f} s")
        pristine = folder / "leads.db"
        runs = [timed_run(pristine, folder, people.config, log, n) for n in range(args.repeats)]
        for n, run in enumerate(runs, 1):
            print(f"  run {n}: deliver {run.wall:6.1f} s (CPU {run.cpu:5.1f} s, in send "
                  f"{run.send:5.1f} s); {run.sent} sent, {run.failed} failed, server received "
                  f"{len(run.messages)} ({sum(run.messages) / 1024**2:.1f} MiB); "
                  f"{run.delivered:,} leads recorded; RSS {run.rss_before:.0f} -> peak "
                  f"{run.rss_peak:.0f} MiB")
        steps = split(pristine, folder, people.config, min(args.sample, args.mentors))
        if args.profile:
            profile(pristine, folder, people.config)
    return report(args, runs, steps)


def prep_summary(seconds: list[float]) -> str:
    """How many sheets were made and what each cost; none when the page has them."""
    if not seconds:
        return "none made (the forward emails link to the mentees' pages)"
    ordered = sorted(seconds)
    return (f"{len(ordered)}, median {statistics.median(ordered) * 1000:.2f} ms, mean "
            f"{statistics.fmean(ordered) * 1000:.2f} ms, p95 "
            f"{ordered[int(0.95 * len(ordered))] * 1000:.2f} ms a lead")  # fmt: skip


def report(args: argparse.Namespace, runs: list[Run], steps: dict[str, list[float]]) -> int:
    """The summary table; 0 when every check passed."""
    expected = args.mentors * args.mentees_per_mentor * args.leads
    wall = statistics.median(r.wall for r in runs)
    sizes = [size for r in runs for size in r.messages]
    prep = steps.pop("prep sheet, per lead")
    prep_total = steps.pop("of compose: prep sheets")[0]
    step_ms = ", ".join(f"{step} {statistics.median(s) * 1000:.1f}" for step, s in steps.items())
    print(f"  per message, median of {len(steps['compose'])} mentors done step by step (ms): "
          f"{step_ms}")
    print(f"  interview prep sheets in those messages: {prep_summary(prep)}; "
          f"{prep_total / sum(steps['compose']):.0%} of compose")
    print(f"  message size: median {statistics.median(sizes) / 1024:.0f} KiB, "
          f"max {max(sizes) / 1024:.0f} KiB")
    print(f"  peak RSS of the whole process (ru_maxrss): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"load average now {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = [
        (f"deliver, median of {len(runs)}", f"{wall:.1f} s", wall <= TARGET_SECONDS,
         f"<= {TARGET_SECONDS:.0f} s"),
        ("per message", f"{wall / args.mentors * 1000:.1f} ms", None, "-"),
        ("messages sent+received", "/".join(f"{r.sent}+{len(r.messages)}" for r in runs),
         all(r.sent == len(r.messages) == args.mentors for r in runs), f"{args.mentors}"),
        ("leads recorded delivered", "/".join(f"{r.delivered:,}" for r in runs),
         all(r.delivered == expected for r in runs), f"{expected:,}"),
        ("peak RSS during deliver", f"{max(r.rss_peak for r in runs):.0f} MiB", None, "-"),
        ("bytes sent per run", f"{statistics.median(sum(r.messages) for r in runs) / 1024**2:.1f}"
         " MiB", None, "-"),
    ]
    print(f"\n{'measure':<30}{'value':>22}  {'target':<10} result")
    for name, value, ok, target in rows:
        result = "-" if ok is None else "PASS" if ok else "FAIL"
        print(f"{name:<30}{value:>22}  {target:<10} {result}")
    return 0 if all(row[2] is not False for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
