"""Files that hold personal data (the database, its lock, logs, digest previews): created
private to the user — files 0600, folders 0700 — and never written through a symlink.

The modes are given at creation (``os.open``/``mkdir``), never set afterwards, so there is
no moment when another user could open the file. Existing files and folders keep the mode
their owner gave them.
"""

from __future__ import annotations

import hashlib
import io
import logging.handlers
import os
import re
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# O_NOFOLLOW: a symlink planted where the file should be (a lock, a preview) is refused
# instead of truncating or overwriting whatever it points to.
_CREATE = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents as 0700 (existing ones are left as they are)."""
    missing = []
    for each in (folder, *folder.parents):
        if each.exists():
            break
        missing.append(each)
    for each in reversed(missing):
        try:
            each.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made meanwhile by another process
            continue


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """A descriptor of ``path``, created 0600 if missing; OSError (ELOOP) if it is a symlink."""
    return os.open(path, flags | _CREATE, FILE_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (a database file before SQLite opens it)."""
    os.close(open_private(path, os.O_RDONLY))


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, created 0600, replacing what was there."""
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "w", encoding="utf-8") as handle:
        handle.write(text)


def safe_file_name(name: str) -> str:
    """``name`` usable as one file name inside a folder: no separators, no leading dots.

    A name that had to change gets a short hash of the original, so two different names
    never end up as the same file.
    """
    cleaned = _UNSAFE_IN_NAME.sub("-", name).lstrip(".-")[:80]
    if cleaned == name:
        return name
    tag = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{cleaned}-{tag}" if cleaned else tag


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and each new one after rollover) are 0600."""

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_APPEND | (os.O_TRUNC if self.mode.startswith("w") else 0)
        descriptor = open_private(Path(self.baseFilename), flags)
        return open(descriptor, "a", encoding=self.encoding)
