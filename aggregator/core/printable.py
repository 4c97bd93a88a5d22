"""Text fit for a terminal, a log file or a cron mail: no control characters, no secrets.

Titles, error bodies and server messages come from other people's servers. Printed raw, an
escape sequence can retitle the terminal, clear it, or hide text; bidi controls (U+202E…) make
"txt.exe" read as "exe.txt". And an error that quotes a storage URL would show its password.
The CLI passes everything it prints through :func:`printable`, and its log handlers carry a
:class:`PrintableFilter`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

# C0 controls but tab and line feed, DEL, C1 controls (CSI is \x9b), and the invisible
# bidirectional and zero-width formatting characters.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# What ESC started (a CSI or OSC sequence): without the ESC the rest would be shown as noise.
_ESCAPE_SEQUENCES = re.compile(
    r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?)|\x9b[0-?]*[ -/]*[@-~]"
)
# The password of a URL: scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)")
MASK = "***"


def strip_controls(text: str) -> str:
    """``text`` without escape sequences and control characters (tabs and newlines stay)."""
    # Printable text holds none (every character matched is a Cc or Cf), and most is.
    return text if text.isprintable() else _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", text))


def one_line(text: str) -> str:
    """``text`` as one line of plain words: white space runs made one space, and no control
    characters (untrusted text shown in a list, a subject or a mailto body)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # already so: a printable text's only white space is the space
    return " ".join(strip_controls(text).split())


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords and each of ``secrets`` replaced by ``***``."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        masked = masked.replace(secret, MASK)
    return masked


def printable(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` fit to print: secrets masked, control characters and escapes removed."""
    return strip_controls(mask_secrets(text, secrets))


class PrintableFilter(logging.Filter):
    """Makes each log record printable (see :func:`printable`) before any handler writes it.

    ``secrets`` is asked for the secrets at each record, so that ones learnt after the
    handler was set up (from the loaded configuration) are masked too.
    """

    def __init__(self, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its printable form; never drops a record."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = printable(record.exc_text, self.secrets())
        record.msg, record.args = printable(message, self.secrets()), None
        return True
