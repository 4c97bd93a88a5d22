"""The plain-text part's line filling: a line that fits skips textwrap, with its result."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.render import TEXT_INDENT, TEXT_WIDTH, wrap_text


def textwrap_fill(text: str, first: str, rest: str) -> str:
    return textwrap.fill(text, width=TEXT_WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "Why it fits: Python, Django, PostgreSQL",
        " leading space",
        "trailing space ",
        "two  inner  spaces",
        "a\ttab",
        "a line\nbreak",
        "x" * (TEXT_WIDTH - len(TEXT_INDENT)),  # fits exactly
        "x" * (TEXT_WIDTH - len(TEXT_INDENT) + 1),  # one over: one long word, kept whole
        "word " * 30,
        "Berlin\xa0· Remote",  # a no-break space is no whitespace to textwrap
        "https://example.org/" + "a" * 100,
    ],
)
@pytest.mark.parametrize(("first", "rest"), [(TEXT_INDENT, TEXT_INDENT), ("", TEXT_INDENT)])
def test_lines_are_filled_as_textwrap_fills_them(text: str, first: str, rest: str) -> None:
    assert wrap_text(text, first, rest) == textwrap_fill(text, first, rest)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab ·\t\n\r\x0b\x0c\x1f\xa0\u2009\u3000—é"), max_size=90),
    st.sampled_from(["", TEXT_INDENT, "1. "]),
)
def test_any_line_is_filled_as_textwrap_fills_it(text: str, first: str) -> None:
    assert wrap_text(text, first, TEXT_INDENT) == textwrap_fill(text, first, TEXT_INDENT)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.sampled_from("ab·\xa0é—"), min_size=1, max_size=12),
            # A word of white space textwrap does not split on, but drops at a line's edge.
            st.text(alphabet=st.sampled_from("\u2003\u3000\xa0\x85\x1c\u2028"), min_size=1,
                    max_size=3),
            st.text(alphabet=st.sampled_from("xy/:."), min_size=70, max_size=120),  # a URL
        ),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from(["", TEXT_INDENT, "1. ", "10. "]),
)
def test_words_between_single_spaces_are_filled_as_textwrap_fills_them(
    words: list[str], first: str
) -> None:
    text = " ".join(words)  # the lines a digest wraps: a summary, a why-list, seen-at labels

    assert wrap_text(text, first, TEXT_INDENT) == textwrap_fill(text, first, TEXT_INDENT)
