"""Hostile and unlucky input at the source boundary (issue 11): one bad posting, field or
answer costs that posting, field or source, never the run; and a source is bounded in time
(http.source_deadline) and in postings stored (http.max_items).

Every server here is a real one on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from faults.site import many_items_feed
from pytest_httpserver import HTTPServer
from rich.console import Console
from sourcekit import as_body, build, collect
from typer.testing import CliRunner
from werkzeug import Request, Response

from aggregator.cli import app
from aggregator.cli.collect import summary_table
from aggregator.core.config import AppConfig, HttpConfig, SourceOptions
from aggregator.core.errors import FeedFormatError, FetchError
from aggregator.core.fetching import Fetcher
from aggregator.core.intake import MAX_PAY, admitted, pay_amount, plausible_salary
from aggregator.core.models import FetchStatus, Posting, Salary, SourceState
from aggregator.core.workers import CpuPool
from aggregator.stages.collect import collect as collect_stage
from aggregator.store import Store
from digests.render import format_salary
from sources import build_source
from sources.base import CollectContext, Collected, Parsed, Source, collect_in_time
from sources.greenhouse import GreenhouseSource, parse_greenhouse
from sources.jsonapi import decode_json, each_posting
from sources.jsonld import load_jsonld
from sources.lever import LeverSource
from sources.read_limit import parse_within
from sources.rss import RssSource, parse_feed
from sources.smartrecruiters import SmartRecruitersSource
from sources.values import parse_date, salary

NOW = datetime(2026, 11, 1, tzinfo=UTC)
BOARD = "/v1/boards/acme/jobs"


def job(number: int, **fields: Any) -> dict[str, Any]:
    """A Greenhouse job object."""
    return {
        "id": number,
        "title": f"Engineer {number}",
        "absolute_url": f"https://example.org/jobs/{number}",
        **fields,
    }


def serve_board(httpserver: HTTPServer, body: bytes | str, path: str = BOARD) -> str:
    httpserver.expect_request(path).respond_with_data(body, content_type="application/json")
    return httpserver.url_for(path)


def run_board(url: str, store: Store, **http: Any) -> Any:
    """One collect run of a greenhouse source at ``url`` into ``store``."""
    options = GreenhouseSource.Options.model_validate(
        {"name": "gh", "type": "greenhouse", "url": url}
    )
    config = AppConfig(sources=(options,), http=HttpConfig(**{"timeout": 5, "retries": 0, **http}))
    return collect_stage(config, store, lambda: NOW)


# -- 2. infinite or absurd pay ---------------------------------------------------------------

SALARY_FIELD = '{"name": "Annual Salary Range", "value_type": "currency_range", "value": %s}'


def test_an_infinite_salary_from_a_board_is_dropped_and_the_job_kept(
    httpserver: HTTPServer, store: Store
) -> None:
    # 1e999 is valid JSON, and Python reads it as inf.
    pay = '{"min_value": 1e999, "max_value": 120000, "unit": "USD"}'
    absurd = '{"min_value": 1e300, "max_value": -5, "unit": "USD"}'
    body = json.dumps({"jobs": [job(1), job(2)]})
    body = body.replace('"id": 1,', f'"id": 1, "metadata": [{SALARY_FIELD % pay}],')
    body = body.replace('"id": 2,', f'"id": 2, "metadata": [{SALARY_FIELD % absurd}],')
    report = run_board(serve_board(httpserver, body), store)
    assert report.ok
    by_id = {p.posting.external_id: p.posting for p in store.postings(source="gh")}
    assert by_id["1"].salary == Salary(None, 120000.0, "USD", "year")
    assert by_id["2"].salary is None  # nothing plausible left


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        (math.inf, None),
        (-math.inf, None),
        (math.nan, None),
        (10**400, None),  # too large for a float: OverflowError unless caught
        (MAX_PAY * 10, None),
        (0, None),
        (-1, None),
        (True, None),
        ("85000", None),  # strings are the parsers' business
        (85_000, 85_000.0),
        (MAX_PAY, MAX_PAY),
        (17.5, 17.5),
    ],
)
def test_pay_amounts_are_finite_positive_and_plausible(value: object, amount: float | None) -> None:
    assert pay_amount(value) == amount


def test_loose_pay_values_never_become_inf() -> None:
    assert salary("1e999") is None  # not digits
    assert salary("9" * 400, 90_000, "USD") == Salary(
        None, 90_000.0, "USD"
    )  # float("9"*400) is inf
    assert salary(10**400, 10**401) is None


def test_any_source_s_salary_is_checked_at_intake() -> None:
    posting = Posting(
        source="s", external_id="1", url="https://example.org/1", title="Dev",
        salary=Salary(math.inf, math.nan, "USD", "year", "lots"),
    )  # fmt: skip
    assert admitted(posting).salary == Salary(None, None, "USD", "year", "lots")
    assert plausible_salary(Salary(math.inf)) is None
    same = Salary(1000.0, 2000.0)
    assert plausible_salary(same) is same


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (Salary(math.inf, 120000, "USD", "year"), "up to $120,000 a year"),
        (Salary(math.inf, math.inf, "USD", "year", "Competitive"), "Competitive"),
        (Salary(math.nan, None, "EUR"), None),
        (Salary(1e300, None, "EUR"), None),
        (Salary(-5, 10, "EUR", "hour"), "up to €10 an hour"),
    ],
)
def test_rendering_a_stored_bad_salary_never_raises(stored: Salary, shown: str | None) -> None:
    assert format_salary(stored) == shown


# -- 3. a date datetime cannot hold --------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-23:59",  # valid ISO 8601; in UTC it is past year 9999
        "0001-01-01T00:00:00+23:59",  # before year 1 in UTC
        "Fri, 31 Dec 9999 23:59:59 -2359",
        10**400,  # OverflowError dividing milliseconds
        "1" * 5000,  # int() refuses more than 4,300 digits
        "²",  # isdigit() but not int()
        1e300,
        -1e300,
    ],
)
def test_a_date_out_of_range_is_unknown(value: object) -> None:
    assert parse_date(value) is None


def test_a_job_with_a_date_out_of_range_keeps_the_source_and_the_job(
    httpserver: HTTPServer, store: Store
) -> None:
    jobs = [
        job(1, first_published="9999-12-31T23:59:59-23:59"),
        job(2, first_published="2026-10-01T00:00:00Z"),
    ]
    report = run_board(serve_board(httpserver, as_body({"jobs": jobs})), store)
    assert report.ok
    stored = {p.posting.external_id: p.posting for p in store.postings(source="gh")}
    assert stored["1"].posted_at is None  # the field is dropped, not the posting
    assert stored["2"].posted_at == datetime(2026, 10, 1, tzinfo=UTC)


def test_a_feed_item_with_a_date_out_of_range_keeps_the_feed_and_the_item() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Jobs</title>'
        b"<item><title>Dev A</title><link>https://example.org/a</link>"
        b"<pubDate>Fri, 31 Dec 9999 23:59:59 -2359</pubDate></item>"
        b"<item><title>Dev B</title><link>https://example.org/b</link>"
        b"<pubDate>Fri, 03 Oct 2025 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    postings = parse_feed(body, "https://example.org/f.rss", "application/rss+xml", "feed")
    assert [(p.title, p.posted_at) for p in postings] == [
        ("Dev A", None),
        ("Dev B", datetime(2025, 10, 3, 10, 0, tzinfo=UTC)),
    ]


def test_a_job_that_cannot_be_read_is_skipped_and_logged_not_the_source(
    httpserver: HTTPServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    # urljoin raises ValueError on a broken IPv6 host: that used to lose the whole board.
    jobs = [job(1, absolute_url="http://[::1"), job(2)]
    with caplog.at_level(logging.WARNING):
        report = run_board(serve_board(httpserver, as_body({"jobs": jobs})), store)
    assert report.ok
    assert [p.posting.external_id for p in store.postings(source="gh")] == ["2"]
    assert "skipped item 0 that cannot be read (ValueError: Invalid IPv6 URL)" in caplog.text


def test_each_posting_skips_only_the_items_it_cannot_read() -> None:
    def to_posting(number: int) -> Posting | None:
        if number == 2:
            raise OverflowError("too big")
        if number == 3:
            return None  # not a posting (a comment that is no job ad)
        return Posting(source="s", external_id=str(number), url="", title=str(number))

    kept = each_posting([1, 2, 3, 4], to_posting, "https://example.org")
    assert [p.external_id for p in kept] == ["1", "4"]

    def buggy(number: int) -> Posting:
        raise NameError("a bug is not an odd item")

    with pytest.raises(NameError):
        each_posting([1], buggy, "https://example.org")


# -- 4. unusable redirects -----------------------------------------------------------------

UNUSABLE_LOCATIONS = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:x",
    "http://xn--/",
]


@pytest.mark.parametrize("location", UNUSABLE_LOCATIONS)
def test_a_redirect_to_an_unusable_address_fails_the_source_in_one_line(
    httpserver: HTTPServer, store: Store, location: str
) -> None:
    httpserver.expect_request(BOARD).respond_with_response(
        Response(status=302, headers={"Location": location})
    )
    report = run_board(httpserver.url_for(BOARD), store)
    [failed] = report.failures
    assert failed.error is not None
    assert "internal error" not in failed.error
    assert "\n" not in failed.error
    assert httpserver.url_for(BOARD) in failed.error


def test_add_source_reports_an_unusable_redirect_without_a_traceback(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/careers").respond_with_response(
        Response(status=302, headers={"Location": "javascript:alert(1)"})
    )
    config = tmp_path / "config.yaml"
    config.write_text("http: {retries: 0, timeout: 5}\nsources: []\nmentors: []\n")
    result = CliRunner().invoke(
        app, ["--config", str(config), "add-source", httpserver.url_for("/careers")]
    )
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "redirects to an address that is no web address" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_one_smartrecruiters_detail_redirecting_to_javascript_costs_only_its_details(
    httpserver: HTTPServer,
) -> None:
    path = "/v1/companies/acme/postings"
    listed = [{"id": str(n), "name": f"Job {n}", "company": {"identifier": "acme"}} for n in (1, 2)]
    httpserver.expect_request(path).respond_with_json({"totalFound": 2, "content": listed})
    httpserver.expect_request(f"{path}/1").respond_with_response(
        Response(status=302, headers={"Location": "javascript:alert(1)"})
    )
    section = {"title": "Job Description", "text": "<p>Build things.</p>"}
    httpserver.expect_request(f"{path}/2").respond_with_json(
        {"id": "2", "jobAd": {"sections": {"jobDescription": section}}}
    )
    postings = collect(build(SmartRecruitersSource, url=httpserver.url_for(path))).postings
    assert [p.external_id for p in postings] == ["1", "2"]
    assert postings[0].description_text == ""  # kept with what the list says
    assert "Build things." in postings[1].description_text


# -- JSON nobody can read -------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
LONG_NUMBER = b'{"jobs": [{"id": ' + b"7" * 5000 + b"}]}"


@pytest.mark.parametrize("body", [DEEP, LONG_NUMBER], ids=["100k-deep", "5000-digit"])
def test_json_too_deep_or_with_a_huge_integer_is_the_source_s_error(
    httpserver: HTTPServer, store: Store, body: bytes
) -> None:
    with pytest.raises(FeedFormatError, match="JSON that cannot be read"):
        decode_json(body, "https://example.org/jobs")
    data, reason = load_jsonld(body.decode())
    assert data is None and reason is not None
    report = run_board(serve_board(httpserver, body), store)
    [failed] = report.failures
    assert failed.error is not None and "JSON that cannot be read" in failed.error
    assert "internal error" not in failed.error


# -- http.source_deadline ------------------------------------------------------------------


@pytest.fixture
def never_answers() -> Iterator[str]:
    """A URL whose server accepts connections (the kernel does) but never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1/boards/acme/jobs"


def collect_with(source: Source, **http: Any) -> Collected:
    """``collect_in_time`` as the pipeline runs it, with these http settings."""

    async def run() -> Collected:
        pool = CpuPool(jobs=1)
        try:
            async with Fetcher(HttpConfig(**http)) as fetcher:
                context = CollectContext(fetcher=fetcher, pool=pool, now=lambda: NOW)
                return await collect_in_time(source, context, SourceState(name="test"))
        finally:
            pool.close()

    return asyncio.run(run())


def test_the_deadline_bounds_all_attempts_of_a_silent_server(never_answers: str) -> None:
    source = build(GreenhouseSource, url=never_answers)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"http\.source_deadline=0\.5 s"):
        # Without the deadline: 3 attempts of 5 s each, plus backoff.
        collect_with(source, timeout=5, retries=2, source_deadline=0.5)
    assert time.monotonic() - started < 5  # less than one attempt's timeout


def test_the_deadline_bounds_all_pages_of_a_paged_board(httpserver: HTTPServer) -> None:
    path = "/v0/postings/acme"
    release = threading.Event()
    first_page = [{"id": f"a{n}", "text": f"Job {n}"} for n in range(2)]
    offsets: list[str] = []

    def pages(request: Request) -> Response:
        offsets.append(request.args.get("skip", ""))
        if request.args.get("skip") != "0":
            release.wait(60)  # a slow later page; the test releases it when done
        return Response(json.dumps(first_page), content_type="application/json")

    httpserver.expect_request(path).respond_with_handler(pages)
    source = build(LeverSource, url=httpserver.url_for(path), page_size=2)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="source_deadline"):
            # each page is well within http.timeout; together they are not within the deadline
            collect_with(source, timeout=60, retries=0, source_deadline=3)
    finally:
        release.set()
    assert time.monotonic() - started < 30
    assert offsets == ["0", "2"]


def test_a_source_past_its_deadline_fails_alone_in_a_run(
    httpserver: HTTPServer, store: Store, never_answers: str
) -> None:
    good = serve_board(httpserver, as_body({"jobs": [job(1)]}))
    sources: tuple[SourceOptions, ...] = tuple(
        GreenhouseSource.Options.model_validate({"name": name, "type": "greenhouse", "url": url})
        for name, url in (("slow", never_answers), ("good", good))
    )
    config = AppConfig(sources=sources, http=HttpConfig(timeout=5, retries=0, source_deadline=0.5))
    report = collect_stage(config, store, lambda: NOW)
    [failed] = report.failures
    assert failed.name == "slow" and failed.error is not None
    assert "http.source_deadline=0.5 s" in failed.error
    assert store.posting_counts() == {"good": 1}


def test_a_deadline_missed_while_reading_says_so_not_that_the_server_was_slow() -> None:
    """A body that takes the deadline to parse (a huge feed, a costly calendar) is no slow
    server: the message says the answers came and reading them took the time."""
    release = threading.Event()

    class SlowToRead:
        options = GreenhouseSource.Options.model_validate(
            {"name": "t", "type": "greenhouse", "board": "acme"}
        )
        company_page = True

        async def collect(self, context: CollectContext, state: SourceState) -> Collected:
            await context.pool.run(release.wait, 30)  # the parse the test holds
            return Collected(postings=[])

    try:
        with pytest.raises(FetchError) as failed:
            collect_with(SlowToRead(), source_deadline=0.3)  # type: ignore[arg-type]
    finally:
        release.set()
    said = str(failed.value)
    assert "http.source_deadline=0.3 s: its answers came, but reading them took" in said
    assert "server is slow" not in said


def test_a_timeout_inside_a_source_is_not_mistaken_for_the_deadline() -> None:
    class Raising:
        """A source whose own code raises TimeoutError: a bug, reported as such."""

        options = GreenhouseSource.Options.model_validate(
            {"name": "t", "type": "greenhouse", "board": "acme"}
        )
        company_page = True

        async def collect(self, context: CollectContext, state: SourceState) -> Collected:
            raise TimeoutError("mine")

    with pytest.raises(TimeoutError, match="mine"):
        collect_with(Raising(), source_deadline=30)  # type: ignore[arg-type]


# -- http.max_items ------------------------------------------------------------------------


def test_postings_beyond_max_items_are_reported_not_stored(
    httpserver: HTTPServer, store: Store
) -> None:
    url = serve_board(httpserver, as_body({"jobs": [job(n) for n in range(1, 8)]}))
    report = run_board(url, store, max_items=5)
    [outcome] = report.sources
    assert outcome.status is FetchStatus.OK
    assert (outcome.new, outcome.beyond_limit) == (5, 2)
    assert store.posting_counts() == {"gh": 5}
    assert HttpConfig().max_items == 2_000
    assert HttpConfig().source_deadline == 120


def run_feed(url: str, store: Store, **http: Any) -> Any:
    """One collect run of an RSS source at ``url`` into ``store``."""
    options = RssSource.Options.model_validate({"name": "many", "type": "rss", "url": url})
    config = AppConfig(sources=(options,), http=HttpConfig(**{"timeout": 5, "retries": 0, **http}))
    return collect_stage(config, store, lambda: NOW)


def test_a_100000_item_feed_is_read_up_to_max_items(httpserver: HTTPServer, store: Store) -> None:
    # Seen: this 17 MB feed timed out, as every item was read into a posting before the limit
    # cut the list. Now only the first http.max_items are read; the rest are counted.
    body = many_items_feed(100_000)
    httpserver.expect_request("/many.xml").respond_with_data(
        body, content_type="application/rss+xml"
    )
    report = run_feed(httpserver.url_for("/many.xml"), store, max_items=1_000,
                      max_bytes=20_000_000)  # fmt: skip
    [outcome] = report.sources
    assert outcome.status is FetchStatus.OK
    assert (outcome.new, outcome.beyond_limit) == (1_000, 99_000)
    titles = {p.posting.title for p in store.postings(source="many")}
    assert titles == {f"Python developer {n}" for n in range(1_000)}


ILL_FORMED_ITEMS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Ill</title>'
    + b"".join(
        b"<item><title>Job %d</title><link>https://ill.example/%d</link>"
        b"<description>Line<br>break &nbsp; here</description></item>" % (n, n)
        for n in range(8)
    )
    + b"</channel></rss>"
)


@pytest.mark.parametrize(
    ("parse", "body", "args"),
    [
        (parse_feed, many_items_feed(8), ("application/rss+xml", "feed")),  # lxml
        (parse_feed, ILL_FORMED_ITEMS, ("application/rss+xml", "feed")),  # feedparser
        (parse_greenhouse, as_body({"jobs": [job(n) for n in range(1, 9)]}), ("gh",)),
    ],
    ids=["well-formed feed", "ill-formed feed", "json board"],
)
def test_readers_stop_at_the_read_limit_and_count_the_rest(
    parse: Any, body: bytes, args: tuple[str, ...]
) -> None:
    url = "https://example.org" + BOARD
    within, beyond = parse_within(3, parse, body, url, *args)
    postings = within.postings if isinstance(within, Parsed) else within
    assert (len(postings), beyond) == (3, 5)
    everything = parse(body, url, *args)  # outside parse_within nothing is left out
    assert (everything.postings if isinstance(everything, Parsed) else everything)[:3] == postings
    assert len(everything.postings if isinstance(everything, Parsed) else everything) == 8


# -- bidi controls ---------------------------------------------------------------------------


def test_bidi_controls_are_stripped_from_what_is_shown(
    httpserver: HTTPServer, store: Store
) -> None:
    spoofed = "Senior \u202ereganaM\u202c Engineer\u2066\u200f"
    jobs = [
        job(1, title=spoofed, company_name="\u202bAcme\u202c", location={"name": "\u200eBerlin"})
    ]
    run_board(serve_board(httpserver, as_body({"jobs": jobs})), store)
    [stored] = [p.posting for p in store.postings(source="gh")]
    assert (stored.title, stored.company, stored.location) == (
        "Senior reganaM Engineer",
        "Acme",
        "Berlin",
    )


def test_parsers_alone_keep_the_text_and_intake_strips_it() -> None:
    body = as_body({"jobs": [job(1, title="a\u202eb")]})
    [parsed] = parse_greenhouse(body, "https://example.org" + BOARD, "gh")
    assert parsed.title == "a\u202eb"
    assert admitted(parsed).title == "ab"
    assert build_source(GreenhouseSource.Options.model_validate(
        {"name": "gh", "type": "greenhouse", "board": "acme"}
    )).company_page  # fmt: skip



def test_a_title_loses_its_bracket_padding_and_an_ending_that_repeats_the_company(
    httpserver: HTTPServer, store: Store
) -> None:
    """Seen in the demo digest: "Python & JavaScript Full Stack Developer at Jack's Flight
    Club — Jack's Flight Club" (and so "… at Jack's Flight Club at Jack's Flight Club" in the
    Forward email's subject), in `leads matches` "Site Reliability Engineer ( SaaS /
    Remote )", and on the web page "PYTHON SOFTWARE DEVELOPER"."""
    jobs = [
        job(1, title="Python & JavaScript Full Stack Developer at Jack's Flight Club",
            company_name="Jack\u2019s Flight Club"),
        job(2, title="Site Reliability Engineer ( SaaS / Remote )", company_name="Publitas"),
        job(3, title="Account Executive | ACME", company_name="Acme"),
        job(4, title="Head of Growth - EMEA", company_name="Acme"),
        job(5, title="Customer Success at Scale", company_name="Acme"),
        job(6, title="PYTHON SOFTWARE DEVELOPER", company_name="Dewaele"),
        job(7, title="HEAD OF HR AND PEOPLE - EMEA", company_name="Acme"),
        job(8, title="SRE", company_name="Acme"),
        job(9, title="SENIOR SDET / SQL DBA", company_name="Acme"),  # acronyms stay
        job(10, title="NEW BUSINESS SDR, EMEA", company_name="Acme"),
        job(11, title="Designer at Jack\u2019s Flight Club", company_name="Jack's Flight Club"),
        job(12, title="Designer at Jack's Flight Club", company_name="Jack's Flight Club"),
    ]  # fmt: skip
    run_board(serve_board(httpserver, as_body({"jobs": jobs})), store)
    titles = {p.posting.external_id: p.posting.title for p in store.postings(source="gh")}
    assert titles == {
        "1": "Python & JavaScript Full Stack Developer",
        "2": "Site Reliability Engineer (SaaS / Remote)",
        "3": "Account Executive",
        "4": "Head of Growth - EMEA",
        "5": "Customer Success at Scale",
        "6": "Python Software Developer",
        "7": "Head of HR and People - EMEA",
        "8": "SRE",
        "9": "Senior SDET / SQL DBA",
        "10": "New Business SDR, EMEA",
        "11": "Designer",
        "12": "Designer",
    }


TIDY_HOSTILE_TITLES = """
import resource, sys
resource.setrlimit(resource.RLIMIT_CPU, (20, 20))  # SIGXCPU ends a search gone quadratic
from aggregator.core.intake import tidy_title
n = 200_000
for title in (" - x" * n + " |", " " * n + "x", "(" + " " * n + "x", " - Acme" * n + "x"):
    tidy_title(title, "Acme")
print("done")
"""


def test_tidying_a_hostile_title_takes_time_linear_in_its_length() -> None:
    """Found by reading the title rules as an attacker: a title of 800 kB of " - x" ending in
    "|" made the closing-company search try every separator against the rest of the title
    (quadratic: 20,000 repeats took 31 s of CPU); so did long runs of spaces. Linear, the four
    titles below take well under a second; quadratic, they would take hours, so the child's
    CPU limit (not a clock) ends it and the test fails."""
    done = subprocess.run([sys.executable, "-c", TIDY_HOSTILE_TITLES], capture_output=True,
                          text=True, check=False)
    assert done.stdout.strip() == "done", (done.returncode, done.stderr[-500:])

def test_the_collect_summary_says_how_many_postings_were_left(
    httpserver: HTTPServer, store: Store
) -> None:
    url = serve_board(httpserver, as_body({"jobs": [job(n) for n in range(1, 4)]}))
    report = run_board(url, store, max_items=1)
    screen = Console(file=io.StringIO(), width=200)
    screen.print(summary_table(report))
    assert "2 more not stored: http.max_items" in screen.file.getvalue()  # type: ignore[attr-defined]
