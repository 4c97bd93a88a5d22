"""JSON Lines files people give the CLI (``leads rank --postings``, ``--feedback``,
``leads import``): UTF-8 line by line, one JSON object a line, and every error naming the
file and the line, whatever the bytes (not UTF-8, not JSON, nested beyond what the parser
can follow)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aggregator.core.errors import ConfigError


def jsonl_objects(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of the JSONL file at ``path`` as a JSON object, with its number
    (``what`` names the file's kind in errors: "postings"). A line that is not UTF-8, not
    JSON, nested too deeply or not an object is a ConfigError naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} file ({exc})", file=str(path)) from exc
    # Split the bytes, not the text: str.splitlines also breaks at U+2028 and U+0085, which
    # json.dumps(ensure_ascii=False) leaves inside strings (`leads postings --format jsonl`).
    for number, line in numbered_text(data.splitlines(), str(path)):
        if line.strip():
            yield number, json_object(line, str(path), number)


def numbered_text(lines: Iterable[bytes], file: str) -> Iterator[tuple[int, str]]:
    """Each line of ``file`` (read as bytes) decoded as UTF-8, numbered from 1; a byte order
    mark at the start is dropped. A line that is not UTF-8 is a ConfigError naming it."""
    for number, raw in enumerate(lines, start=1):
        try:
            yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start]
            raise ConfigError(
                f"not UTF-8 text (the line's byte {exc.start + 1} is {byte:#04x})",
                file=file,
                line=number,
                fix="save the file as UTF-8",
            ) from exc


def json_object(line: str, file: str, number: int) -> dict[str, Any]:
    """Line ``number`` of the JSONL ``file`` as a JSON object, or a ConfigError naming it."""
    try:
        record = json_value(line, file, number, fix="one flat object per line")
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"not valid JSON ({exc.msg})", file=file, line=number, fix="one object per line"
        ) from exc
    if not isinstance(record, dict):
        raise ConfigError("each line must be a JSON object", file=file, line=number)
    return record


def json_value(line: str, file: str, number: int, *, fix: str) -> Any:
    """Line ``number`` of ``file`` as JSON (JSONDecodeError when it is none); a ConfigError
    naming it, with ``fix``, when it nests deeper than the json module, which parses nested
    arrays and objects recursively, can follow (a RecursionError, not a JSON error)."""
    try:
        return json.loads(line)
    except RecursionError as exc:
        raise ConfigError("nested too deeply to read", file=file, line=number, fix=fix) from exc
