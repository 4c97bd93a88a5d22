"""`leads add-source URL`: recognise what a pasted URL is and append it to config.yaml."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner, Result

from aggregator.cli import app
from aggregator.core.config import load_config
from sources import option_models
from sources.detect import detect_from_url

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = """\
# Our mentoring group's sources.
http: {retries: 0, timeout: 5}

sources:
  - name: wwr  # the big remote board
    type: rss
    url: https://weworkremotely.com/remote-jobs.rss

# Mentors come next.
mentors: []
"""
# Lever's API names no company, so the entry carries a company_name to correct (README).
LEVER = {"type": "lever", "company_name": "Acme"}


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("https://boards.greenhouse.io/acme", {"type": "greenhouse", "board": "acme"}),
        ("https://job-boards.greenhouse.io/acme/jobs/123", {"type": "greenhouse", "board": "acme"}),
        (
            "https://boards.greenhouse.io/embed/job_board?for=acme",
            {"type": "greenhouse", "board": "acme"},
        ),
        ("https://jobs.lever.co/acme", {**LEVER, "company": "acme"}),
        ("https://jobs.lever.co/acme/0f1e2d3c-aaaa", {**LEVER, "company": "acme"}),
        ("https://jobs.eu.lever.co/acme", {**LEVER, "company": "acme", "region": "eu"}),
        ("https://jobs.ashbyhq.com/acme", {"type": "ashby", "board": "acme"}),
        ("https://apply.workable.com/acme/", {"type": "workable", "account": "acme"}),
        ("https://acme.recruitee.com", {"type": "recruitee", "company": "acme"}),
        ("https://acme.recruitee.com/o/backend-dev", {"type": "recruitee", "company": "acme"}),
        (
            "https://careers.smartrecruiters.com/Acme1",
            {"type": "smartrecruiters", "company": "Acme1"},
        ),
    ],
)
def test_known_url_shapes_need_no_request(url: str, entry: dict[str, str]) -> None:
    found = detect_from_url(url)
    assert found is not None
    assert found.entry == entry


def test_unknown_hosts_are_not_guessed() -> None:
    assert detect_from_url("https://example.org/careers") is None
    assert detect_from_url("https://www.recruitee.com/") is None
    assert detect_from_url("https://boards.greenhouse.io/") is None


def run(config: Path, *args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "200"})
    return runner.invoke(
        app, ["--config", str(config), "add-source", *args], catch_exceptions=False
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_feed_url_is_added_as_rss_keeping_comments(config: Path, httpserver: HTTPServer) -> None:
    body = (FIXTURES / "rss" / "weworkremotely_opencruit_2026-02.xml").read_bytes()
    httpserver.expect_request("/jobs.rss").respond_with_data(
        body, content_type="application/rss+xml"
    )
    url = httpserver.url_for("/jobs.rss")
    result = run(config, url)
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert "# Our mentoring group's sources." in text
    assert "# the big remote board" in text
    assert text.index(url) < text.index("# Mentors come next.")  # appended to the list
    added = load_config(config, option_models()).sources[-1]
    assert (added.type, added.url, added.name) == ("rss", url, "127-0-0-1")


def test_page_linking_a_feed_adds_the_feed(config: Path, httpserver: HTTPServer) -> None:
    page = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        "</head></html>"
    )
    httpserver.expect_request("/careers").respond_with_data(page, content_type="text/html")
    preview = run(config, httpserver.url_for("/careers"), "--name", "acme-careers", "--dry-run")
    feed = httpserver.url_for("/feed.xml")
    assert f"/careers is a page that links the feed {feed}; add this under" in preview.output
    result = run(config, httpserver.url_for("/careers"), "--name", "acme-careers")
    assert result.exit_code == 0, result.output
    added = load_config(config, option_models()).sources[-1]
    assert (added.name, added.url) == ("acme-careers", httpserver.url_for("/feed.xml"))


def test_dry_run_prints_the_entry_and_changes_nothing(config: Path, httpserver: HTTPServer) -> None:
    body = (FIXTURES / "rss" / "weworkremotely_opencruit_2026-02.xml").read_bytes()
    httpserver.expect_request("/jobs.rss").respond_with_data(
        body, content_type="application/rss+xml"
    )
    result = run(config, httpserver.url_for("/jobs.rss"), "--name", "wwr", "--dry-run")
    assert result.exit_code == 0
    assert "name: wwr-2" in result.output  # the name is taken, so a free one is offered
    assert "type: rss" in result.output
    assert config.read_text() == CONFIG


def test_page_without_jobs_is_a_clear_error(config: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/about").respond_with_data(
        "<html><p>About us</p></html>", content_type="text/html"
    )
    result = run(config, httpserver.url_for("/about"))
    assert result.exit_code == 2  # a usage error: nothing to fetch again
    assert "no feed, job board or schema.org JobPosting found" in result.output
    assert config.read_text() == CONFIG


def test_page_with_job_posting_json_ld_becomes_a_jsonld_source(
    config: Path, httpserver: HTTPServer
) -> None:
    page = (FIXTURES / "html" / "indeed_job_jsonld_senior-devops_2026-08.html").read_bytes()
    httpserver.expect_request("/viewjob").respond_with_data(page, content_type="text/html")
    url = httpserver.url_for("/viewjob")
    result = run(config, url, "--name", "papercut")
    assert result.exit_code == 0, result.output
    added = load_config(config, option_models()).sources[-1]
    assert added.type == "jsonld"
    assert list(added.model_dump()["urls"]) == [url]
    text = config.read_text(encoding="utf-8")  # the page is in the list, before what follows
    assert text.index(f"      - {url}") < text.index("# Mentors come next.")


def test_unreachable_url_is_a_failure_not_a_usage_error(config: Path) -> None:
    result = run(config, "http://127.0.0.1:9/careers")
    assert result.exit_code == 1
    assert config.read_text() == CONFIG


def test_lever_entry_carries_the_company_name_to_correct(config: Path) -> None:
    result = run(config, "https://jobs.lever.co/leverdemo")
    assert result.exit_code == 0, result.output
    added = load_config(config, option_models()).sources[-1]
    assert added.model_dump()["company_name"] == "Leverdemo"


def test_known_board_url_is_added_without_fetching(config: Path) -> None:
    result = run(config, "https://boards.greenhouse.io/stripe")
    assert result.exit_code == 0, result.output
    added = load_config(config, option_models()).sources[-1]
    assert (added.name, added.type, added.model_dump()["board"]) == (
        "stripe-greenhouse",
        "greenhouse",
        "stripe",
    )


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_the_rewritten_config_keeps_its_mode_and_owner(config: Path, mode: int) -> None:
    """A private config holding a password once came back 0644 after add-source."""
    config.chmod(mode)
    owner = (12345, 23456) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(config, *owner)
    result = run(config, "https://boards.greenhouse.io/stripe")
    assert result.exit_code == 0, result.output
    status = config.stat()
    assert (stat.S_IMODE(status.st_mode), status.st_uid, status.st_gid) == (mode, *owner)
    assert load_config(config, option_models()).sources[-1].name == "stripe-greenhouse"
    left = [p.name for p in config.parent.iterdir() if p.name != "leads.db.lock"]  # run lock
    assert left == ["config.yaml"]  # no draft left


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "not a url", "", "https://"]
)
def test_a_url_that_is_no_web_address_is_a_usage_error(config: Path, url: str) -> None:
    # Seen: exit 1 and "cannot connect to …: Request URL is missing an 'http://'".
    result = run(config, url)
    assert result.exit_code == 2
    assert "is not a web address" in " ".join(result.output.split())
    assert config.read_text(encoding="utf-8") == CONFIG


def test_a_name_no_source_may_have_is_a_usage_error_naming_the_flag(config: Path) -> None:
    # Seen: "error: /tmp/…/.config.yaml.new:47: sources[3].name: …", a file nobody wrote.
    result = run(config, "https://jobs.lever.co/acme", "--name", "bad name!")
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "--name 'bad name!' is not a source name" in said and ".new" not in said
    assert config.read_text(encoding="utf-8") == CONFIG


def test_a_source_already_configured_is_not_added_again(
    config: Path, httpserver: HTTPServer
) -> None:
    # Seen: the same feed added twice, as 127-0-0-1 and 127-0-0-1-2, and fetched twice.
    body = (FIXTURES / "rss" / "weworkremotely_opencruit_2026-02.xml").read_bytes()
    httpserver.expect_request("/jobs.rss").respond_with_data(
        body, content_type="application/rss+xml"
    )
    feed = httpserver.url_for("/jobs.rss")
    assert run(config, feed).exit_code == 0
    added = config.read_text(encoding="utf-8")
    again = run(config, feed + "?utm_source=newsletter")  # the same feed, tracked
    assert again.exit_code == 2
    assert "is already read by the source" in " ".join(again.output.split())
    assert config.read_text(encoding="utf-8") == added
