"""CSV cells: seen, a stranger's escape sequence reached the terminal through
`leads postings --format csv` (the formula guard was already in place)."""

from __future__ import annotations

from aggregator.core.spreadsheet import neutralise_cell, neutralised


def test_control_characters_and_escape_sequences_leave_a_cell() -> None:
    assert neutralise_cell("Engineer\x1b[2J\x1b]0;pwned\x07 wanted\x9b31m") == "Engineer wanted"


def test_a_formula_hidden_behind_an_escape_is_still_neutralised() -> None:
    assert neutralise_cell("\x1b[0m=HYPERLINK(\"https://evil.example\")") == (
        "'=HYPERLINK(\"https://evil.example\")"
    )


def test_tabs_and_line_breaks_inside_text_stay() -> None:
    assert neutralised(["Line one\nline\ttwo", None, 3]) == ["Line one\nline\ttwo", "", 3]
