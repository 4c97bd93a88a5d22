"""Cells for CSV files that people open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some programs skip before looking) is read by Excel, LibreOffice and Google Sheets as a
formula: a posting titled ``=HYPERLINK("https://evil.example", "Apply")`` would become a live
link, and worse. Such text is written with a leading apostrophe, which spreadsheets show as
text and do not display. Numbers stay numbers. Control characters and escape sequences are
taken out first (a CSV is often looked at with `cat`, and an escape sequence in a stranger's
posting would drive the terminal).
"""

from __future__ import annotations

from collections.abc import Iterable

from aggregator.core.printable import strip_controls

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """``value`` as it is safe to write into a CSV cell: text without control characters,
    and a leading "'" if it then reads as a formula."""
    if not isinstance(value, str):
        return value
    text = strip_controls(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutralise_row(row: dict[str, object]) -> dict[str, object]:
    """Every cell of ``row`` through :func:`neutralise_cell`."""
    return {key: neutralise_cell(value) for key, value in row.items()}


def neutralised(cells: Iterable[object]) -> list[object]:
    """A CSV row as a list, every cell through :func:`neutralise_cell` (None: an empty cell)."""
    return [neutralise_cell("" if cell is None else cell) for cell in cells]
