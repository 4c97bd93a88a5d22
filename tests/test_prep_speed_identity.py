"""The prep sheet's shortcuts (matchers/prep.py) find what the plain searches they replace do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matchers.prep import _ANY_TOPIC, _TOPICS, _first_mentions, _vocabulary
from sources.rss import parse_feed

WWR = Path(__file__).parent / "fixtures" / "rss" / "wwr_2022-11"


def descriptions() -> list[str]:
    out = []
    for path in sorted(WWR.glob("*.rss")):
        url = f"https://weworkremotely.com/categories/{path.stem}.rss"
        postings = parse_feed(path.read_bytes(), url, "application/rss+xml", "wwr")
        out += [f"{p.title}\n{p.location}\n{p.description_text}" for p in postings]
    return out


def test_every_topic_opens_with_a_word_boundary_and_ignores_case_as_the_joint_scan_does() -> None:
    for topic in _TOPICS:
        assert topic.pattern.pattern.startswith(r"\b"), topic.pattern.pattern
        assert topic.pattern.flags == _ANY_TOPIC.flags


def mentions(text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]] | None]:
    return [(m.span(), m.groups()) if m else None for m in _first_mentions(text)]


def searched(text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]] | None]:
    found = (topic.pattern.search(text) for topic in _TOPICS)
    return [(m.span(), m.groups()) if m else None for m in found]


@pytest.mark.parametrize(
    "text",
    [
        "Join the on-call team: remote, with KPIs set in your first 90 days.",
        "JOIN OUR REMOTE PLATFORM TEAM. Career growth and mentorship; on call 24/7.",
        "part of the Onboarding team",  # two topics named in one place
        "jo\u0131n our team, remote (dotless i), \u017fuccess measures (long s), \u212api",
        "\u0130n the office, or hybrid; production support; learning budget",
        "",
        "nothing to see here",
    ],
)
def test_first_mentions_are_each_topics_own_first_match(text: str) -> None:
    assert mentions(text) == searched(text)


def test_first_mentions_agree_with_each_topics_search_on_real_postings() -> None:
    texts = descriptions()
    assert texts
    for text in texts:
        assert mentions(text) == searched(text)


def test_the_joined_practices_match_where_one_of_them_does() -> None:
    vocabulary = _vocabulary()
    sentences = [s.lower() for text in descriptions() for s in re.split(r"(?<=[.!?])\s+", text)]
    for sentence in sentences:
        named = any(pattern.search(sentence) for pattern, _ in vocabulary.practices)
        assert (vocabulary.any_practice.search(sentence) is not None) == named, sentence
