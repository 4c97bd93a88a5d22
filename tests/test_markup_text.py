"""html_to_text's two ways of flattening HTML give the same text.

Most fragments are flattened by whole-string regex passes (sources.markup._flattened); those
with <pre>, text-hiding tags, upper-case names or a "<" inside a tag go through the tag loop
(_flattened_tag_by_tag). The passes must read every fragment exactly as the loop does: checked
on every description in the recorded feeds (raw and after nh3) and on Hypothesis-built
fragments mixing block, list, void and inline tags, self-closing forms, character references
(some split by a tag) and whitespace. Deterministic: derandomized, bounded, no example database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.feedxml import read_feed
from sources.markup import (
    _FIRST_GROUP,
    _LOOSE_BULLETS,
    _TYPED_BULLET,
    _flattened,
    _flattened_tag_by_tag,
    html_to_text,
    sanitize_html,
)

FEEDS = Path(__file__).parent / "fixtures" / "rss"
PIECES = [
    "<p>", "</p>", "<li>", "</li>", "<ul>", "</ul>", "<ol>", "<br>", "<br/>", "<br />", "</br>",
    "<hr>", "<hr/>", "<p/>", "<li/>", "<li x/>", '<p class="x">', "<p a=/>", "<p a/ >", "<li/x>",
    "<p2>", "<b>", "</b>", "<div>", "</div>", "<span>", "<h3>", "</h3>", "<td>", "<tr>", "</tr>",
    '<a href="x/">', "</a>", "< p>", ">", "&amp;", "&lt;p&gt;", "&nbsp;", "&#10;", "&#9;",
    "&#1;", "&#x85;", "&NewLine;", "&am", "p;", "&not", "in;", "&notin;", " ", "  ", "\n", "\t",
    "\r\n", "\xa0", "\u2003", "\x1c", "text", "- x", "• y", "* z",
]  # fmt: skip
TAG_LOOP_ONLY = [
    "<pre>",
    "</pre>",
    "<script>",
    "</script>",
    "<title>",
    "<LI>",
    "<bR>",
    '<a t="<b>">',
]
UNCLOSED = "<p"  # a "<" before the next tag's: the tag loop reads it (as text)
FUZZ = settings(derandomize=True, max_examples=1000, deadline=None, database=None)


def _recorded_descriptions() -> list[str]:
    found: list[str] = []
    for path in sorted(FEEDS.rglob("*")):
        document = (
            read_feed(path.read_bytes(), "http://127.0.0.1/feed", "") if path.is_file() else None
        )
        for entry in document.entries if document else []:
            found.extend(text.value for text in entry.descriptions() if text.value)
    return found


DESCRIPTIONS = _recorded_descriptions()


def _same_text(fragment: str) -> None:
    fast = _flattened(fragment)
    if fast is not None:
        assert fast == _flattened_tag_by_tag(fragment)


def test_recorded_descriptions_flatten_alike_and_take_the_fast_way() -> None:
    assert len(DESCRIPTIONS) > 500
    for fragment in DESCRIPTIONS:
        _same_text(fragment)
        _same_text(sanitize_html(fragment))
    fast = sum(_flattened(sanitize_html(f)) is not None for f in DESCRIPTIONS)
    assert fast > 0.9 * len(DESCRIPTIONS)  # the regex passes are what makes it fast


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_fragments_flatten_alike(fragment: str) -> None:
    assert _flattened(fragment) is not None  # none of PIECES needs the tag loop
    _same_text(fragment)


@FUZZ
@given(st.lists(st.sampled_from([*PIECES, *TAG_LOOP_ONLY, UNCLOSED]), max_size=40).map("".join))
def test_fragments_the_passes_cannot_read_go_to_the_tag_loop(fragment: str) -> None:
    _same_text(fragment)
    if any(piece in fragment for piece in TAG_LOOP_ONLY):
        assert _flattened(fragment) is None


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        (
            "<p>We hire</p><ul><li><p>Python</p></li><li>- SQL</li></ul>",
            "We hire\n\n• Python\n• SQL",
        ),
        ("<p>a &amp;<b>amp;</b> b<br>c</p>", "a &amp; b\nc"),
        ("<pre>line\n  break</pre><p>line\n  folded</p>", "line\nbreak\n\nline folded"),
        ("<p>x</p><script>hidden()</script>", "x"),
        (
            "<ul><li>Backend<ul><li>Python</li><li>Go</li></ul></li><li>Frontend</li></ul>",
            "• Backend\n• Python\n• Go\n• Frontend",
        ),
        (
            "<ul>\n  <li><p>Python</p></li>\n  <li><p>SQL</p></li>\n</ul><p>Benefits</p>"
            "<ul><li><p>Remote</p></li></ul>",
            "• Python\n• SQL\n\nBenefits\n\n• Remote",
        ),
        (
            "<ol><li><p>One</p><p>Two</p></li><li></li><li>Three</li></ol>",
            "• One\n\nTwo\n\n•\n\n• Three",
        ),
        (
            "<ul><li>\u2013 Python</li><li>* SQL</li><li>·\tGo</li><li>&#8226;&nbsp;Rust</li>"
            "<li>-x</li></ul>",
            "• Python\n• SQL\n• Go\n• Rust\n• -x",
        ),
        (
            "<p>Skills • - Python, SQL</p><p>• - typed in a paragraph</p>",
            "Skills • - Python, SQL\n\n• typed in a paragraph",
        ),
        ("<li>- first</li><p>after</p>", "• first\n\nafter"),
        ("<p>a<br><br><br><br>b<br/>c<br />d</p>", "a\n\nb\nc\nd"),
        (
            "<p>Tom&nbsp;&amp;&nbsp;Jerry &lt;b&gt; &#x41;&#66; &eacute; &copy;</p>",
            "Tom & Jerry <b> AB é ©",
        ),
        (
            "<p>  spaced\t\tout \r\n line \u200bzero\u2060width\ufeff </p>\n\n\n"
            "<p>\xa0\xa0next</p>",
            "spaced out line zerowidth\n\nnext",
        ),
        (
            "<h2>Role</h2><div><div><p>Nested</p></div></div><hr>"
            "<table><tr><td>a</td><td>b</td></tr></table>",
            "Role\n\nNested\n\nab",
        ),
    ],
)
def test_text_of_common_fragments(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


# The bullet rules as first written: a pattern for a line's start ("^", MULTILINE) and a
# template for the replacement. The module's patterns are written to run faster.
TYPED_BULLET_RULE = re.compile(r"^• [-\u2013\u2014*\u2022\u00b7]\s+", re.MULTILINE)
LOOSE_BULLETS_RULE = re.compile(r"^(• [^\n]*)\n\n(?=• )", re.MULTILINE)
LINE_PIECES = ["• ", "•", "- ", "\u2013", "·", "*", "\t", " ", "\n", "\n\n", "x", "• - ", "\u2028"]


@FUZZ
@given(st.lists(st.sampled_from(LINE_PIECES), max_size=30).map("".join))
def test_bullet_passes_follow_the_rules(text: str) -> None:
    assert _TYPED_BULLET.sub("• ", text) == TYPED_BULLET_RULE.sub("• ", text)
    assert _LOOSE_BULLETS.sub(_FIRST_GROUP, text) == LOOSE_BULLETS_RULE.sub(r"\1\n", text)


def test_each_base_url_resolves_its_own_relative_links() -> None:
    fragment = '<a href="/jobs/1">Apply</a>'
    for _ in range(2):  # the second time, from the sanitisers made the first
        assert 'href="https://a.test/jobs/1"' in sanitize_html(fragment, "https://a.test/feed")
        assert 'href="https://b.test/jobs/1"' in sanitize_html(fragment, "https://b.test/feed")
        assert "href" not in sanitize_html(fragment, None)
        assert "href" not in sanitize_html(fragment, "")
