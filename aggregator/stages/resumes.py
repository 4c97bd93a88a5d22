"""Reading mentees' résumé files (.txt, .md, .pdf, .docx) into text for the matcher.

Every failure is a :class:`ConfigError` naming the file and saying what to do, because a
résumé path is part of the configuration: a run should stop at load time, not match a
mentee against nothing.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

from aggregator.core.errors import ConfigError

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".pdf", ".docx")
_FIX_FORMAT = "save the résumé as .txt, .md, .pdf (with selectable text) or .docx"


def read_resume(path: Path) -> str:
    """The text of the résumé at ``path``; raises ConfigError if it cannot be used."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise ConfigError(
            f"résumé {path.name} is {kind}, which cannot be read", file=str(path), fix=_FIX_FORMAT
        )
    if not path.is_file():
        raise ConfigError(
            f"résumé {path.name} does not exist",
            file=str(path),
            fix="check the mentee's `resume` path; it is relative to the file that names it",
        )
    try:
        text = reader(path)
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ConfigError(
            f"résumé {path.name} cannot be read: {exc}",
            file=str(path),
            fix=f"open it to check it is not damaged, or {_FIX_FORMAT}",
        ) from exc
    if not text.strip():
        raise ConfigError(
            f"résumé {path.name} contains no text",
            file=str(path),
            fix="a scanned PDF has only pictures of text: export one with "
            "selectable text, or save the résumé as .txt",
        )
    return text


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.info("%s is not UTF-8; reading it as Windows-1252", path)
        return data.decode("cp1252", errors="replace")


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    # pypdf warns of each flaw it reads past ("invalid pdf header"): on stderr, beside the
    # résumé's own error (or none, as the text was read), that is noise a cron mail repeats.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConfigError(
                f"résumé {path.name} is password-protected",
                file=str(path),
                fix="save a copy without a password",
            )
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except FileNotDecryptedError as exc:
        raise ConfigError(
            f"résumé {path.name} is password-protected",
            file=str(path),
            fix="save a copy without a password",
        ) from exc
    except PyPdfError as exc:
        raise ValueError(f"not a readable PDF ({exc})") from exc


def _read_docx(path: Path) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except PackageNotFoundError as exc:
        raise ValueError("not a Word .docx document") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


_READERS: dict[str, Callable[[Path], str]] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
