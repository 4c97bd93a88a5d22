"""What the CLI prints and logs: no terminal escapes or bidi controls from other people's
servers, and no password (issue 11, points 7 and 8)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Response

from aggregator.core import printable as printable_module
from aggregator.core.printable import (
    PrintableFilter,
    mask_secrets,
    one_line,
    printable,
    strip_controls,
)

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b2J\u202etxt.exe\u2066"


def leads(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `leads` process, verbose, so its log lines are checked too."""
    return subprocess.run(
        [sys.executable, "-m", "aggregator", "--verbose", "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "300"},
        timeout=120,
    )


def test_controls_and_escape_sequences_are_stripped() -> None:
    assert strip_controls(f"a{HOSTILE}b\tc\nd") == "atxt.exeb\tc\nd"  # tab, newline kept
    for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200f", "\x00", "\x7f"):
        assert bad not in printable(f"x{bad}y")


def test_url_passwords_and_given_secrets_are_masked() -> None:
    text = "cannot use postgresql://bob:S3cret@db.example:5432/leads; SMTP said hunter2"
    masked = mask_secrets(text, ["hunter2"])
    assert masked == "cannot use postgresql://bob:***@db.example:5432/leads; SMTP said ***"
    assert mask_secrets("https://example.org/a@b") == "https://example.org/a@b"


def test_the_log_filter_cleans_messages_and_arguments() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s failed: %s", None, None)
    record.args = ("src", f"{HOSTILE} postgresql://bob:S3cret@h/db {12345}")
    PrintableFilter(lambda: ["12345"]).filter(record)
    assert record.getMessage() == "src failed: txt.exe postgresql://bob:***@h/db ***"


def test_a_servers_escape_sequences_never_reach_the_terminal_or_cron_mail(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    # Header values are latin-1 on the wire: a C1 CSI (0x9b) passes where ESC would not.
    location = "ftp://evil.example/\x9b2J\x9b0;evil"
    httpserver.expect_request("/jobs.rss").respond_with_response(
        Response(status=302, headers={"Location": location})
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        "http: {retries: 0, timeout: 5}\n"
        f'sources: [{{name: h, type: rss, url: "{httpserver.url_for("/jobs.rss")}"}}]\n',
        encoding="utf-8",
    )
    for command in (["collect"], ["run"], ["sources"]):
        result = leads(config, *command)
        shown = result.stdout + result.stderr
        assert "redirects to a non-web address (ftp://evil.example/" in shown, shown
        assert "\x9b" not in shown and "\x1b" not in shown


def test_passwords_are_never_printed(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "http: {retries: 0, timeout: 5}\n"
        "storage: {url: 'postgresql://bob:S3cret@127.0.0.1:9/leads'}\n"
        "delivery:\n  method: smtp\n"
        "  smtp: {host: 127.0.0.1, port: 9, username: bob, password: hunter2-pw,"
        " from: a@example.org}\n",
        encoding="utf-8",
    )
    for command in ("check", "collect", "digest"):
        result = leads(config, command)
        shown = result.stdout + result.stderr
        assert result.returncode != 0 and "bob" in shown, shown
        assert "S3cret" not in shown and "hunter2" not in shown, shown
    config.write_text(
        "delivery:\n  method: smtp\n  smtp: {host: h, password: 123456789, from: a@example.org}\n",
        encoding="utf-8",
    )
    result = leads(config, "check")
    assert result.returncode == 2 and "delivery.smtp.password" in result.stderr
    assert "123456789" not in result.stdout + result.stderr


def stripped_by_the_patterns(text: str) -> str:
    """What strip_controls removes, by its patterns alone (it skips them for printable text)."""
    escapes = printable_module._ESCAPE_SEQUENCES.sub("", text)
    return printable_module._CONTROLS.sub("", escapes)


@pytest.mark.parametrize(
    "text",
    ["Data Analyst", "Café — “quoted” · 日本語", HOSTILE, "a\tb\nc", "no\xa0break", " x ", "a  b"],
)
def test_one_line_and_strip_controls_agree_with_their_patterns(text: str) -> None:
    assert strip_controls(text) == stripped_by_the_patterns(text)
    assert one_line(text) == " ".join(stripped_by_the_patterns(text).split())


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
       | st.text(alphabet=st.sampled_from(" a\t\n\x1b[]0;\x07\x9b\u202e\u200b\xa0\u3000"),
                 max_size=40))
def test_any_text_is_stripped_and_flattened_as_the_patterns_say(text: str) -> None:
    assert strip_controls(text) == stripped_by_the_patterns(text)
    assert one_line(text) == " ".join(stripped_by_the_patterns(text).split())
