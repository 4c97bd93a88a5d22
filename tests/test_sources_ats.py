"""The declarative ATS board base: registration read from the modules, one slug rule for all."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sourcekit import as_body, build, collect

from sources import SOURCE_TYPES
from sources.ats import BoardOptions, BoardSource, company_from_slug
from sources.detect import detect_from_url
from sources.greenhouse import GreenhouseSource
from sources.recruitee import RecruiteeSource

BOARDS = sorted(
    (kind for kind in SOURCE_TYPES.values() if issubclass(kind, BoardSource)),
    key=lambda kind: kind.type,
)
SLUG = "acme-corp"


def options_of(kind: type[BoardSource], **settings: Any) -> BoardOptions:
    options: BoardOptions = build(kind, **settings).options
    return options


def test_every_source_module_registers_itself_and_helpers_do_not() -> None:
    assert list(SOURCE_TYPES) == [
        "arbeitnow", "ashby", "events_rss", "greenhouse", "himalayas", "hn_whoishiring", "ical",
        "jobicy", "jsonld", "lever", "recruitee", "remoteok", "remotive", "rss",
        "smartrecruiters", "workable",
    ]  # fmt: skip
    assert [kind.type for kind in BOARDS] == [
        "ashby", "greenhouse", "lever", "recruitee", "smartrecruiters", "workable",
    ]  # fmt: skip
    for helper in ("ats", "base", "detect", "jsonapi", "markup", "values", "nope", 3):
        assert helper not in SOURCE_TYPES
    with pytest.raises(KeyError):
        SOURCE_TYPES["jsonapi"]


def test_company_pages_are_the_boards_and_jsonld_and_events_come_from_event_sources() -> None:
    company_pages = {name for name, kind in SOURCE_TYPES.items() if kind.company_page}
    assert company_pages == {kind.type for kind in BOARDS} | {"jsonld"}
    assert {name for name, kind in SOURCE_TYPES.items() if kind.events} == {"ical", "events_rss"}


@pytest.mark.parametrize("kind", BOARDS, ids=lambda kind: kind.type)
def test_the_slug_fills_the_endpoint_and_a_url_override_gives_it_back(
    kind: type[BoardSource],
) -> None:
    setting = kind.Options.slug_setting  # type: ignore[attr-defined]
    by_slug = options_of(kind, **{setting: SLUG})
    assert by_slug.url == by_slug.endpoint_template().format(slug=SLUG)
    assert by_slug.slug == SLUG

    by_url = options_of(kind, url=by_slug.url)
    assert by_url.url == by_slug.url
    assert by_url.slug == SLUG
    assert build(kind, url=by_slug.url).company_from_slug == "Acme Corp"

    # The same endpoint served from elsewhere (a proxy, a test server) keeps a path slug.
    moved = urlunsplit(urlsplit(by_slug.url)._replace(netloc="127.0.0.1:8080"))
    in_host = "{slug}" in urlsplit(by_slug.endpoint_template()).netloc
    assert options_of(kind, url=moved).slug == ("" if in_host else SLUG)


@pytest.mark.parametrize("kind", BOARDS, ids=lambda kind: kind.type)
def test_a_url_of_another_shape_gives_no_slug_and_no_guessed_company(
    kind: type[BoardSource],
) -> None:
    options = options_of(kind, url="https://proxy.example.org/")
    assert options.slug == ""
    assert build(kind, url="https://proxy.example.org/").company_from_slug == ""


@pytest.mark.parametrize("kind", BOARDS, ids=lambda kind: kind.type)
def test_a_board_without_slug_or_url_fails_at_load_naming_the_setting(
    kind: type[BoardSource],
) -> None:
    setting = kind.Options.slug_setting  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match=f"needs `{setting}:`.* or a full `url:`"):
        build(kind)
    with pytest.raises(ValidationError, match="must be an http"):
        build(kind, url="ftp://example.org/jobs")


@pytest.mark.parametrize("kind", BOARDS, ids=lambda kind: kind.type)
def test_add_source_recognises_every_board_by_its_declared_patterns(
    kind: type[BoardSource],
) -> None:
    assert kind.url_patterns, f"{kind.type} declares no careers-page URL shape"
    for url, entry in [
        ("https://boards.greenhouse.io/acme-corp", {"type": "greenhouse", "board": SLUG}),
        (
            "https://jobs.lever.co/acme-corp",
            {"type": "lever", "company": SLUG, "company_name": "Acme Corp"},
        ),
        ("https://jobs.ashbyhq.com/acme-corp", {"type": "ashby", "board": SLUG}),
        ("https://apply.workable.com/acme-corp/", {"type": "workable", "account": SLUG}),
        ("https://acme-corp.recruitee.com/o/dev", {"type": "recruitee", "company": SLUG}),
        (
            "https://jobs.smartrecruiters.com/acme-corp",
            {"type": "smartrecruiters", "company": SLUG},
        ),
    ]:
        found = kind.settings_for(url)
        assert (found is not None) == (entry["type"] == kind.type), url
        if found is not None:
            assert found == entry
            detected = detect_from_url(url)
            assert detected is not None and detected.entry == entry
            assert detected.suggested_name == f"{SLUG}-{kind.type}"
            # the detected entry is a valid config entry of that board
            assert options_of(kind, **{k: v for k, v in entry.items() if k != "type"}).slug == SLUG


def test_greenhouse_with_a_url_override_names_the_company_from_its_slug(
    httpserver: HTTPServer,
) -> None:
    """Greenhouse used to pass no slug when `url:` was given, so the company stayed empty."""
    job = {"id": 1, "title": "Engineer", "absolute_url": "https://example.org/jobs/1"}
    httpserver.expect_request("/v1/boards/acme-corp/jobs").respond_with_data(
        as_body({"jobs": [job]}), content_type="application/json"
    )
    source = build(GreenhouseSource, url=httpserver.url_for("/v1/boards/acme-corp/jobs"))
    [posting] = collect(source).postings
    assert posting.company == "Acme Corp"


def test_recruitee_with_a_url_override_names_the_company_from_its_host() -> None:
    """Recruitee used to pass no slug when `url:` was given; its slug is in the host name."""
    source = build(RecruiteeSource, url="https://acme-corp.recruitee.com/api/offers/")
    assert source.company_from_slug == "Acme Corp"
    assert company_from_slug(None) == ""
