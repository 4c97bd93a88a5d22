"""Fuzzing with Hypothesis: whatever bytes arrive, a parser gives a result or the project's own
error (FeedFormatError for remote data, ConfigError for the user's files), never a traceback.

Deterministic: derandomized, a bounded number of examples, no example database. Inputs are
arbitrary bytes and text, structured JSON and YAML, and recorded real files (feeds, a
Greenhouse board, a PDF and a DOCX résumé) with bytes replaced, inserted or cut off.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_match_resumes import write_pdf

from aggregator.core.config import AppConfig, load_config
from aggregator.core.errors import ConfigError, FeedFormatError
from aggregator.core.models import Mentee, Posting
from aggregator.postings_file import read_postings_jsonl
from aggregator.stages.rank import rank_offline
from aggregator.stages.resumes import read_resume
from sources import option_models
from sources.greenhouse import parse_greenhouse
from sources.rss import parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://feeds.example.test/jobs"
FUZZ = settings(
    derandomize=True,
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RSS = (FIXTURES / "rss" / "weworkremotely_opencruit_2026-02.xml").read_bytes()[:6000]
ATOM = (FIXTURES / "rss" / "atom_careers_sample.xml").read_bytes()
BOARD = (FIXTURES / "json" / "greenhouse" / "stripe_greenhouse_jobs_nocontent_2026-08.json")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=30,
)


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few byte runs replaced or inserted, and perhaps cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 16))
        data[at : at + cut] = draw(st.binary(max_size=16))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def postings_or_feed_error(parse: Any, *args: Any) -> list[Posting] | None:
    """The parser's postings, or None when it raised FeedFormatError (anything else fails)."""
    try:
        postings = parse(*args)
    except FeedFormatError as exc:
        assert str(exc)
        return None
    assert all(isinstance(p, Posting) for p in postings)
    return list(postings)


# -- feeds and boards -------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=2000) | damaged(RSS) | damaged(ATOM),
       st.sampled_from(["application/rss+xml", "application/atom+xml", "text/html", ""]))
def test_feed_bytes_give_postings_or_a_feed_error(body: bytes, content_type: str) -> None:
    postings_or_feed_error(parse_feed, body, URL, content_type, "fuzz")


@FUZZ
@given(st.binary(max_size=2000) | damaged(BOARD.read_bytes()))
def test_board_bytes_give_postings_or_a_feed_error(body: bytes) -> None:
    postings_or_feed_error(parse_greenhouse, body, URL, "fuzz")


@FUZZ
@given(JSON_VALUES, st.data())
def test_board_json_of_any_shape_gives_postings_or_a_feed_error(value: Any, data: Any) -> None:
    board = json.loads(BOARD.read_bytes())
    job = data.draw(st.sampled_from(sorted(board["jobs"][0])))
    board["jobs"][0][job] = value  # one field of a real job replaced by anything
    for body in (json.dumps(value), json.dumps(board)):
        postings_or_feed_error(parse_greenhouse, body.encode(), URL, "fuzz")


# -- config -------------------------------------------------------------------------------------

CONFIG_KEYS = st.sampled_from(
    ["sources", "mentors", "mentees", "http", "delivery", "storage", "matching", "schedule",
     "name", "type", "url", "email", "id", "mentor", "timeout", "smtp", "host", "enabled"]
)
YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CONFIG_KEYS, inner, max_size=4),
    max_leaves=20,
)


def config_or_config_error(text: str | bytes) -> AppConfig | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "replace"))
        try:
            return load_config(path, option_models())
        except ConfigError as exc:
            assert str(exc)
            return None


@FUZZ
@given(st.text(max_size=400) | st.binary(max_size=400))
def test_any_text_is_a_config_or_a_config_error(text: str | bytes) -> None:
    config_or_config_error(text)


@FUZZ
@given(st.dictionaries(CONFIG_KEYS, YAML_VALUES, max_size=5))
def test_any_yaml_structure_is_a_config_or_a_config_error(document: dict[str, Any]) -> None:
    config_or_config_error(json.dumps(document))  # JSON is YAML


@FUZZ
@given(damaged((Path(__file__).parent.parent / "config.yaml").read_bytes()))
def test_a_damaged_example_config_is_a_config_or_a_config_error(text: bytes) -> None:
    config_or_config_error(text)


# -- leads rank -----------------------------------------------------------------------------


RECORDS = st.dictionaries(
    st.sampled_from(["id", "url", "title", "company", "location", "description", "source",
                     "posted_at", "tags", "remote", "salary"]),
    JSON_VALUES, max_size=6,
)


@settings(FUZZ, max_examples=25)
@given(st.lists(RECORDS.map(json.dumps) | st.text(max_size=60), max_size=6))
def test_rank_reads_any_postings_file_or_names_the_bad_line(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "postings.jsonl"
        path.write_text("\n".join(lines), encoding="utf-8", errors="replace")
        try:
            postings = read_postings_jsonl(path)
        except ConfigError as exc:
            assert str(exc)
            return
    mentee = Mentee(name="Sam Lee", email="sam@example.org", mentor="m",
                    skills=("python",), roles=("backend engineer",))
    ranked = rank_offline([mentee], postings, top=5, min_score=0.0,
                          now=datetime(2026, 12, 1, tzinfo=UTC), max_age_days=30)
    assert set(ranked) == {mentee.id}


# -- résumés --------------------------------------------------------------------------------


def _resume_bytes(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cv.{kind}"
        if kind == "pdf":
            write_pdf(path, "Python developer with Kubernetes experience")
        else:
            document = docx.Document()
            document.add_paragraph("Python developer with Kubernetes experience")
            document.save(str(path))
        return path.read_bytes()


PDF, DOCX = _resume_bytes("pdf"), _resume_bytes("docx")


@settings(FUZZ, max_examples=30)
@given(st.sampled_from(["pdf", "docx"]), st.data())
def test_a_damaged_resume_is_text_or_a_config_error(kind: str, data: Any) -> None:
    body = data.draw(damaged(PDF if kind == "pdf" else DOCX) | st.binary(max_size=300))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cv.{kind}"
        path.write_bytes(body)
        try:
            assert isinstance(read_resume(path), str)
        except ConfigError as exc:
            assert "cv." in str(exc)
