"""One `leads run` against 100 healthy sources and one source of every fault (tests/faults/site.py).

The run must finish within a bound set by the configured limits, keep every healthy posting,
name every failing source in one actionable line, exit 1, and send digests without active
content. The big faults are small here (see SIZES); benchmarks/faults.py runs them full size
and prints the time and memory figures.
"""

from __future__ import annotations

import email
import email.policy
import sqlite3
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import lxml.html
import pytest
from people import MENTEES_YAML

from aggregator.core.config import HttpConfig
from faults.site import (
    FAULTS,
    FIXTURES,
    HEALTHY_COUNT,
    Fault,
    Limits,
    RunResult,
    Sizes,
    fault_site,
    healthy_name,
    healthy_recording,
    run_leads,
)
from sources.greenhouse import parse_greenhouse
from sources.rss import parse_feed

SIZES = Sizes(big_body=5_000_000, gzip_bomb=50_000_000, many_items=2_500, deep_json=100_000,
              drip_seconds=60)
LIMITS = Limits()
SUPPORTED = set(HttpConfig.model_fields)
STARTUP_AND_WORK = 120.0  # seconds beyond one source's bound: start, parse, match, send (slack
# for a shared 2-core test machine; benchmarks/faults.py reports the real figure)
PEOPLE = """\
mentors:
  - {id: maria, name: Maria Okafor, email: maria@example.org, timezone: Europe/Berlin}
  - {id: dev, name: Dev Raman, email: dev@example.org, timezone: America/Chicago}
""" + MENTEES_YAML


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def run(folder: Path) -> Iterator[RunResult]:
    with fault_site(SIZES) as site:
        config = folder / "config.yaml"
        config.write_text(
            LIMITS.http_yaml(SUPPORTED) + "delivery: {method: file}\n" + site.sources_yaml()
            + PEOPLE,
            encoding="utf-8",
        )
        yield run_leads(config)


def stored(folder: Path) -> Counter[str]:
    """Postings stored per source; the database must pass its integrity check."""
    with sqlite3.connect(folder / "leads.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return Counter(dict(conn.execute("SELECT source, count(*) FROM postings GROUP BY source")))


def expected_healthy(name: str) -> int:
    """The postings a healthy source's recording holds, read by the parser directly."""
    recording = healthy_recording(name)
    body = (FIXTURES / recording.path).read_bytes()
    url = f"https://example.test/{name}"
    if recording.type == "greenhouse":
        return len(parse_greenhouse(body, url, name))
    return len({p.external_id for p in parse_feed(body, url, recording.content_type, name)})


def failure_lines(run: RunResult, source: str) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith(f"source {source} ")]


def test_the_run_exits_1_within_the_bound_set_by_the_limits(run: RunResult) -> None:
    bound = LIMITS.run_bound(SUPPORTED) + STARTUP_AND_WORK
    assert run.returncode == 1, run.stderr[-3000:]
    assert run.seconds < bound, f"{run.seconds:.1f} s, bound {bound:.0f} s"
    assert run.peak_rss_bytes < 1_000_000_000, f"peak RSS {run.peak_rss_bytes:,} bytes"


def test_every_healthy_posting_is_stored(run: RunResult, folder: Path) -> None:
    counts = stored(folder)
    missing = {
        name: (counts[name], expected_healthy(name))
        for name in map(healthy_name, range(HEALTHY_COUNT))
        if counts[name] != expected_healthy(name)
    }
    assert missing == {}, "stored vs recorded postings"
    assert not [line for line in run.stderr.splitlines() if line.startswith("source healthy-")]


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.fails], ids=lambda f: f.name)
def test_a_failing_source_is_named_in_one_actionable_line(run: RunResult, fault: Fault) -> None:
    lines = failure_lines(run, fault.name)
    assert len(lines) == 1, run.stderr[-3000:]
    line = lines[0]
    assert line.startswith(f"source {fault.name} failed: ")
    assert "internal error" not in line, line
    assert len(line) < 400


@pytest.mark.parametrize("fault", [f for f in FAULTS if not f.fails], ids=lambda f: f.name)
def test_a_bad_item_costs_at_most_itself(run: RunResult, folder: Path, fault: Fault) -> None:
    """Word-less items, absurd salaries, impossible dates, hostile HTML, broken bytes and
    oversized feeds lose the bad field or item (or the items past http.max_items), never
    the source's good postings."""
    assert not [line for line in failure_lines(run, fault.name) if "failed" in line], (
        failure_lines(run, fault.name)
    )
    wanted = LIMITS.max_items if fault.name == "fault-many-items" else fault.good_postings
    assert stored(folder)[fault.name] == wanted


def test_the_digests_carry_no_active_content(run: RunResult, folder: Path) -> None:
    digests = sorted((folder / "outbox").glob("*.eml"))
    assert digests, "no digest was delivered"
    for path in digests:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        html = message.get_body(("html",))
        assert html is not None
        tree = lxml.html.document_fromstring(html.get_content())
        elements = [e for e in tree.iter() if isinstance(e.tag, str)]
        assert not [e.tag for e in elements
                    if e.tag in {"script", "img", "iframe", "object", "embed", "form"}]
        assert not [(e.tag, a) for e in elements for a in e.attrib if a.startswith("on")]
        hrefs = [e.get("href", "") for e in elements if e.get("href") is not None]
        assert all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
