"""An interview prep sheet (``PrepSheet``, made by ``matchers.prep.prepare``) as text, Markdown
or JSON: for ``leads prep``, the forward email and the web view.

Every string on a sheet comes from a posting, so it is untrusted: each is flattened to one
line here, without control characters or bidi overrides (JSON goes to the terminal as it is,
and the Forward email carries the text; a U+202E makes "gnp.exe" read as "exe.png"), and Markdown
special characters are escaped in the Markdown form (the web view autoescapes its templates).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from typing import Any

from aggregator.core.models import Cited, PrepSheet
from aggregator.core.printable import one_line

ASKED_HEADING = "What they will likely ask"
BRUSH_UP_HEADING = "What to brush up on"
TO_ASK_HEADING = "Questions to ask them"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def prep_record(sheet: PrepSheet) -> dict[str, Any]:
    """The sheet as the JSON contract has it: mentee, lead, asked, brush_up, to_ask."""
    return {
        "mentee": sheet.mentee,
        "lead": sheet.lead,
        "asked": [{"question": one_line(c.text), "from": one_line(c.source)}
                  for c in sheet.asked],
        "brush_up": [{"skill": one_line(c.text), "from": one_line(c.source)}
                     for c in sheet.brush_up],
        "to_ask": [one_line(q) for q in sheet.to_ask],
    }


def prep_title(sheet: PrepSheet) -> str:
    """'Interview prep: Data Analyst at Acme'."""
    role = one_line(sheet.title) or "this role"
    company = one_line(sheet.company)
    return f"Interview prep: {role} at {company}" if company else f"Interview prep: {role}"


def prep_text(sheet: PrepSheet, sources: bool = True, width: int | None = None) -> str:
    """The sheet as plain text, each question followed by the posting text it comes from
    (``sources=False``: without those, as short as an email link allows). ``width`` wraps
    each item to that many columns, its later lines indented under its first (a terminal's
    own wrapping starts them at the margin, where they read as items of their own)."""
    lines = prep_lines(sheet, sources)
    if width is not None:
        lines = [_wrapped(line, width) for line in lines]
    return "\n".join(lines) + "\n"


def prep_lines(sheet: PrepSheet, sources: bool = True) -> list[str]:
    """The lines of :func:`prep_text` (unwrapped), each one line: posting text is flattened."""
    lines = [prep_title(sheet), "", f"{ASKED_HEADING}:"]
    lines += _cited_lines(sheet.asked, "    from the posting: " if sources else None)
    if sheet.brush_up:
        lines += ["", f"{BRUSH_UP_HEADING}:"]
        lines += _cited_lines(sheet.brush_up, "    asked for in: " if sources else None)
    lines += ["", f"{TO_ASK_HEADING}:", *(f"- {one_line(q)}" for q in sheet.to_ask)]
    return lines


def _wrapped(line: str, width: int) -> str:
    """An item ("- …") or a citation ("    from the posting: …") wrapped with a hanging
    indent: two columns past its dash, or past the citation's indent."""
    indent = len(line) - len(line.lstrip(" "))
    hanging = " " * (indent + 2)
    return textwrap.fill(line, width, subsequent_indent=hanging, break_on_hyphens=False,
                         break_long_words=False)  # fmt: skip


def prep_markdown(sheet: PrepSheet) -> str:
    """The sheet as Markdown, posting text quoted and escaped."""
    lines = [f"# {_escaped(prep_title(sheet))}", "", f"## {ASKED_HEADING}", ""]
    lines += _cited_markdown(sheet.asked, "from the posting")
    if sheet.brush_up:
        lines += ["", f"## {BRUSH_UP_HEADING}", ""]
        lines += _cited_markdown(sheet.brush_up, "asked for in")
    lines += ["", f"## {TO_ASK_HEADING}", "", *(f"- {_escaped(q)}" for q in sheet.to_ask)]
    return "\n".join(lines) + "\n"


def _cited_lines(items: Iterable[Cited], cite: str | None) -> list[str]:
    lines = []
    for item in items:
        lines.append(f"- {one_line(item.text)}")
        if item.source and cite is not None:
            lines.append(f"{cite}“{one_line(item.source)}”")
    return lines


def _cited_markdown(items: Iterable[Cited], cite: str) -> list[str]:
    lines = []
    for item in items:
        lines.append(f"- {_escaped(item.text)}")
        if item.source:
            lines.append(f"  *{cite}:* “{_escaped(item.source)}”")
    return lines


def _escaped(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))

