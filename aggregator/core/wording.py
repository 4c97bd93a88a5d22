"""Small pieces of English shared by everything that reports to a person."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 mentor``, ``2 mentors``, ``0 leads``; ``plural`` for nouns not made with an -s."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
