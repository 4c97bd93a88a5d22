"""What every ATS source survives: odd shapes, BOMs, UTF-16, mojibake, nulls, worker pickling.

Each parser is driven through the same table, so a new ATS source gets the same checks by
adding one row.
"""

from __future__ import annotations

import codecs
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from sourcekit import fixture

from aggregator.core.errors import FeedFormatError
from aggregator.core.models import Posting
from sources.ashby import parse_ashby
from sources.greenhouse import parse_greenhouse
from sources.jsonapi import decode_json
from sources.jsonld import parse_jsonld_page
from sources.lever import map_lever
from sources.lever import read_page as lever_page
from sources.recruitee import parse_recruitee
from sources.smartrecruiters import map_smartrecruiters
from sources.smartrecruiters import read_page as smartrecruiters_page
from sources.workable import parse_workable

URL = "https://boards.example.org/api"


def lever(body: bytes, url: str) -> list[Posting]:
    """One page through the lever page reader and mapping, as ``collect`` runs them."""
    items, _ = lever_page(decode_json(body, url), url)
    return map_lever(items, url, "src", "Acme")


def smartrecruiters(body: bytes, url: str) -> list[Posting]:
    """One list page through the smartrecruiters page reader and mapping (no details)."""
    items, _ = smartrecruiters_page(decode_json(body, url), url)
    return map_smartrecruiters(items, [], url, "src")


# (name, parse(body, url), key of the job list, a minimal job, the field holding its title)
PARSERS: list[tuple[str, Callable[[bytes, str], list[Posting]], str | None, str]] = [
    ("greenhouse", lambda b, u: parse_greenhouse(b, u, "src"), "jobs", "title"),
    ("lever", lever, None, "text"),
    ("ashby", lambda b, u: parse_ashby(b, u, "src", "Acme"), "jobs", "title"),
    ("workable", lambda b, u: parse_workable(b, u, "src"), "jobs", "title"),
    ("recruitee", lambda b, u: parse_recruitee(b, u, "src"), "offers", "title"),
    ("smartrecruiters", smartrecruiters, "content", "name"),
]
IDS = [row[0] for row in PARSERS]


def wrap(key: str | None, jobs: Any) -> Any:
    return jobs if key is None else {key: jobs}


@pytest.mark.parametrize(("name", "parse", "key", "title"), PARSERS, ids=IDS)
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            lambda key: {"jobs": "not a list", "offers": 3, "content": None}, id="not-a-list"
        ),
        pytest.param(lambda key: {"error": "Board not found", "type": "ERROR"}, id="error-object"),
        pytest.param(lambda key: "just a string", id="string"),
        pytest.param(lambda key: [] if key else {"postings": []}, id="wrong-container"),
    ],
)
def test_an_unexpected_shape_is_a_format_error_naming_the_url(
    name: str,
    parse: Callable[[bytes, str], list[Posting]],
    key: str | None,
    title: str,
    payload: Callable[[str | None], Any],
) -> None:
    with pytest.raises(FeedFormatError, match="expected") as error:
        parse(json.dumps(payload(key)).encode(), URL)
    assert URL in str(error.value)


@pytest.mark.parametrize(("name", "parse", "key", "title"), PARSERS, ids=IDS)
def test_the_careerjet_utf16_error_object_is_a_format_error(
    name: str, parse: Callable[[bytes, str], list[Posting]], key: str | None, title: str
) -> None:
    body = fixture("json", "errors", "careerjet_error_utf16le_bom.json")
    with pytest.raises(FeedFormatError, match="expected") as error:
        parse(body, URL)
    if key is not None:  # the decoded object's keys are named, so the user sees what came
        assert "found keys: error, type (the server says: The legacy Job Search API" in str(
            error.value
        )


@pytest.mark.parametrize(("name", "parse", "key", "title"), PARSERS, ids=IDS)
@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: codecs.BOM_UTF8 + text.encode(), id="utf8-bom"),
        pytest.param(lambda text: text.encode("utf-16"), id="utf16-bom"),
        pytest.param(lambda text: text.encode("utf-16-le"), id="utf16le-no-bom"),
    ],
)
def test_bodies_decode_whatever_their_unicode_encoding(
    name: str,
    parse: Callable[[bytes, str], list[Posting]],
    key: str | None,
    title: str,
    encode: Callable[[str], bytes],
) -> None:
    body = json.dumps(wrap(key, [{"id": "1", title: "Ingénieur logiciel"}]), ensure_ascii=False)
    [posting] = parse(encode(body), URL)
    assert posting.title == "Ingénieur logiciel"


@pytest.mark.parametrize(("name", "parse", "key", "title"), PARSERS, ids=IDS)
def test_nulls_wrong_types_and_junk_entries_never_crash(
    name: str, parse: Callable[[bytes, str], list[Posting]], key: str | None, title: str
) -> None:
    nulls = dict.fromkeys(
        [
            "id", "title", "text", "name", "location", "categories", "metadata", "departments",
            "offices", "content", "lists", "salaryRange", "createdAt", "secondaryLocations",
            "compensation", "locations", "salary", "tags", "company", "jobAd", "description",
            "absolute_url", "hostedUrl", "jobUrl", "url", "careers_url", "typeOfEmployment",
        ]
    )  # fmt: skip
    odd = {
        "id": 12.0, title: ["not", "a", "string"], "location": 5, "categories": [],
        "metadata": {"name": "x"}, "departments": "Sales", "offices": [None, 3],
        "lists": [None, {"text": None, "content": 7}], "salaryRange": "lots",
        "secondaryLocations": "Berlin", "compensation": [], "locations": {"city": "x"},
        "salary": [], "tags": "one", "company": "Acme", "jobAd": {"sections": []},
        "published_at": {}, "createdAt": "yesterday", "releasedDate": True,
    }  # fmt: skip
    postings = parse(json.dumps(wrap(key, [nulls, odd, None, "junk", 42])).encode(), URL)
    assert len(postings) == 2  # the two objects; the non-objects are skipped
    assert all(isinstance(p, Posting) for p in postings)


@pytest.mark.parametrize(("name", "parse", "key", "title"), PARSERS, ids=IDS)
def test_mojibake_is_repaired(
    name: str, parse: Callable[[bytes, str], list[Posting]], key: str | None, title: str
) -> None:
    title_text = "Softwareentwickler (m/w/d) \u2013 München"
    broken = title_text.encode().decode("cp1252")
    assert broken != title_text
    [posting] = parse(json.dumps(wrap(key, [{"id": 1, title: broken}])).encode(), URL)
    assert posting.title == title_text


@pytest.mark.parametrize(("name", "parse", "key", "title"), PARSERS, ids=IDS)
def test_postings_survive_pickling_for_worker_processes(
    name: str, parse: Callable[[bytes, str], list[Posting]], key: str | None, title: str
) -> None:
    postings = parse(json.dumps(wrap(key, [{"id": "7", title: "Welder"}])).encode(), URL)
    assert pickle.loads(pickle.dumps(postings)) == postings


def test_the_functions_run_in_workers_are_importable_by_name() -> None:
    functions = [
        parse_greenhouse,
        map_lever,
        parse_ashby,
        parse_workable,
        parse_recruitee,
        map_smartrecruiters,
        parse_jsonld_page,
    ]
    for function in functions:
        assert pickle.loads(pickle.dumps(function)) is function
