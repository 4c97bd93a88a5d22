"""A mailto link's fields are percent-encoded exactly as urllib's quote(safe="") encodes them."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests import render
from digests.render import mailto

# Any text a posting, profile or config could hold: surrogates cannot be encoded as UTF-8.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


def urllib_mailto(address: str, subject: str, lines: list[str]) -> str:
    body = quote("\r\n".join(lines), safe="")
    return f"mailto:{quote(address, safe='@+')}?subject={quote(subject, safe='')}&body={body}"


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [""],
        ["", ""],
        ["Hi Sam,", "", "This one made me think of you:"],
        ["a line\nwith a break", "tab\there", "100% & more=?#"],
        ["Café — “quoted” · €120,000\u2013150,000", "日本語", "emoji 🎉"],
    ],
)
def test_examples_are_encoded_as_urllib_encodes_them(lines: list[str]) -> None:
    assert mailto("sam+jobs@example.org", "Job lead: Café & Co", lines) == urllib_mailto(
        "sam+jobs@example.org", "Job lead: Café & Co", lines
    )


@settings(max_examples=400, derandomize=True, deadline=None)
@given(subject=ANY_TEXT, lines=st.lists(ANY_TEXT, max_size=6))
def test_any_text_is_encoded_as_urllib_encodes_it(subject: str, lines: list[str]) -> None:
    assert mailto("sam@example.org", subject, lines) == urllib_mailto(
        "sam@example.org", subject, lines
    )


def test_the_body_reads_back_as_its_lines_and_repeats_encode_alike() -> None:
    lines = ["What are the next steps, and when should I expect to hear back?", "Ana"]
    first = mailto("sam@example.org", "Job lead", lines)
    again = mailto("sam@example.org", "Job lead", lines)  # the second from the kept lines

    assert first == again
    fields = parse_qs(urlsplit(first).query, keep_blank_values=True)
    assert fields["body"] == ["\r\n".join(lines)]
    assert fields["subject"] == ["Job lead"]


def test_only_short_texts_are_kept_however_long_a_postings_text() -> None:
    """Seen: the caches kept whole descriptions and titles (a hostile feed's can run to
    megabytes) for as long as `leads serve` ran."""
    long_title = "Engineer " * 1_000
    kept_before = render._percent_encoded.kept.cache_info().currsize
    summaries_before = render._summary.kept.cache_info().currsize

    link = mailto("sam@example.org", long_title, [long_title, "Hi"])
    summary = render._summary("Who we are\n" + "We build things. " * 200_000)

    assert link == urllib_mailto("sam@example.org", long_title, [long_title, "Hi"])
    assert summary.startswith("We build things.") and summary.endswith("…")
    assert render._percent_encoded.kept.cache_info().currsize <= kept_before + 1  # "Hi"
    assert render._summary.kept.cache_info().currsize == summaries_before
