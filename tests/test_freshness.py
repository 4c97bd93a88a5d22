"""Fresh leads only: old postings are never matched or offered as new, whatever the clock says.

Real recorded We Work Remotely feeds and a hand-made undated feed, served on 127.0.0.1,
collected and matched into real SQLite with an injected clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.core.config import DEFAULT_MAX_AGE_DAYS, AppConfig, load_config
from aggregator.core.models import DigestLead
from aggregator.loopback import serve_directory
from aggregator.stages import collect as collect_stage
from aggregator.stages import digest as digest_stage
from aggregator.stages import match as match_stage
from aggregator.store import Store
from sources import option_models

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = datetime(2022, 11, 8, 12, tzinfo=UTC)  # when the WWR feeds were captured
FULL_STACK = "rss/wwr_2022-11/remote-full-stack-programming-jobs.rss"
MENTEE = """\
mentors:
  - {id: maria, name: Maria Okafor, email: maria@example.org}
mentees:
  - name: Sam Lee
    email: sam@example.org
    mentor: maria
    skills: [python, django, postgresql, docker, javascript, react]
    roles: [backend engineer, python developer, full stack developer]
    min_score: 0.01
"""
UNDATED_FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Undated jobs</title><link>https://jobs.example.org/</link>
<item><title>Python Developer</title><link>https://jobs.example.org/python-developer</link>
<description>We build Django and PostgreSQL backends in Python, deployed with Docker.
</description></item>
</channel></rss>
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("served")
    (root / "rss").symlink_to(FIXTURES / "rss")
    (root / "undated.xml").write_text(UNDATED_FEED, encoding="utf-8")
    with serve_directory(root) as url:
        yield url


def configured(folder: Path, base_url: str, feed: str, matching: str = "") -> AppConfig:
    path = folder / "config.yaml"
    path.write_text(
        f"http: {{retries: 0}}\n{matching}"
        f'sources:\n  - {{name: feed, type: rss, url: "{base_url}{feed}"}}\n{MENTEE}',
        encoding="utf-8",
    )
    return load_config(path, option_models())


def matched_dates(
    config: AppConfig, collected_at: datetime, matched_at: datetime
) -> list[datetime]:
    """Collect at ``collected_at``, match at ``matched_at``: the matched postings' dates."""
    store = Store(config.database_url)
    try:
        collect_stage.collect(config, store, lambda: collected_at)
        match_stage.match(config, store, lambda: matched_at)
        return [found.posting.listed_at for found in store.matches()]
    finally:
        store.close()


def test_the_default_age_limit_is_45_days(tmp_path: Path, base_url: str) -> None:
    config = configured(tmp_path, base_url, FULL_STACK)
    assert config.matching.max_age_days == DEFAULT_MAX_AGE_DAYS == 45

    dates = matched_dates(config, RECORDED, RECORDED)

    assert dates, "the recorded feed has recent jobs for Sam"
    assert min(dates) >= RECORDED - timedelta(days=45)


def test_the_recorded_feed_holds_older_jobs_that_a_lifted_limit_lets_through(
    tmp_path: Path, base_url: str
) -> None:
    config = configured(
        tmp_path,
        base_url,
        FULL_STACK,
        matching="matching: {max_age_days: null}\n",
    )
    dates = matched_dates(config, RECORDED, RECORDED)
    assert min(dates) < RECORDED - timedelta(days=45)  # so the test above can fail


def test_a_recorded_feed_read_years_later_offers_nothing(tmp_path: Path, base_url: str) -> None:
    config = configured(tmp_path, base_url, FULL_STACK)
    later = datetime(2026, 12, 2, tzinfo=UTC)
    assert matched_dates(config, later, later) == []


@pytest.mark.parametrize(("days_later", "matched"), [(10, True), (46, False)])
def test_an_undated_posting_ages_from_when_it_was_first_seen(
    tmp_path: Path, base_url: str, days_later: int, matched: bool
) -> None:
    config = configured(tmp_path, base_url, "undated.xml")
    first_seen = datetime(2026, 11, 1, tzinfo=UTC)

    dates = matched_dates(config, first_seen, first_seen + timedelta(days=days_later))

    assert dates == ([first_seen] if matched else [])


def test_a_digest_never_offers_an_old_job_as_new_though_first_seen_today(
    tmp_path: Path, base_url: str
) -> None:
    lifted = configured(
        tmp_path, base_url, FULL_STACK, matching="matching: {max_age_days: null}\n"
    )
    matched_dates(lifted, RECORDED, RECORDED)  # matched while no limit applied
    limited = configured(tmp_path, base_url, FULL_STACK)  # the same store, default limit

    shown = {
        limit: [lead.match.posting.listed_at for lead in offered(config, RECORDED)]
        for limit, config in (("lifted", lifted), ("limited", limited))
    }

    assert min(shown["lifted"]) < RECORDED - timedelta(days=45)
    assert shown["limited"]
    assert min(shown["limited"]) >= RECORDED - timedelta(days=45)


def offered(config: AppConfig, now: datetime) -> list[DigestLead]:
    """The leads the mentor's digest would carry at ``now`` (all pending ones)."""
    store = Store(config.database_url)
    try:
        mentor = config.mentors[0].model_copy(
            update={"digest": config.mentors[0].digest.model_copy(
                update={"max_leads_per_mentee": 100}
            )}
        )
        digest = digest_stage.compose(config, store, mentor, now).digest
        return [lead for section in digest.sections for lead in section.leads]
    finally:
        store.close()
