"""A source whose postings the database refuses fails alone: seen on PostgreSQL with several
collectors and a short storage.statement_timeout (December 2026), where one collector's
refused store ended its whole collect, marked the source done for the round's other
collectors (its postings waited a round) and left its other fetches running, their errors
printed as "Task exception was never retrieved". Here the refusal is a real SQLite trigger."""

from __future__ import annotations

from pytest_httpserver import HTTPServer
from sqlalchemy import text
from test_intake_screening import NOW, item, rss

from aggregator.core.config import AppConfig, HttpConfig
from aggregator.core.models import FetchStatus
from aggregator.stages.collect import collect
from aggregator.store import Store
from sources.rss import RssSource

REFUSE = (
    "CREATE TRIGGER refuse BEFORE INSERT ON postings WHEN NEW.source = 'bad' "
    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
)


def titles(store: Store) -> list[str]:
    return sorted(s.posting.title for s in store.postings())


def test_a_source_the_database_refuses_fails_alone_and_comes_again_whole(
    store: Store, httpserver: HTTPServer
) -> None:
    feeds = {"good": ("Analyst", "a"), "bad": ("Engineer", "e")}
    for name, (title, path) in feeds.items():
        body = rss(item(title, f"https://jobs.example/{path}"))
        httpserver.expect_request(f"/{name}").respond_with_data(body, headers={"ETag": '"v1"'})
    sources = tuple(
        RssSource.Options.model_validate(
            {"name": name, "type": "rss", "url": httpserver.url_for(f"/{name}")})
        for name in feeds
    )  # fmt: skip
    config = AppConfig(sources=sources, http=HttpConfig(timeout=5, retries=0))
    with store.engine.begin() as conn:
        conn.execute(text(REFUSE))
    first = {s.name: s for s in collect(config, store, lambda: NOW).sources}
    assert (first["good"].status, first["bad"].status) == (FetchStatus.OK, FetchStatus.FAILED)
    assert first["bad"].error is not None
    assert first["bad"].error.startswith(
        "the database did not store the source's postings: disk on fire — its next fetch "
        "brings them again")
    assert titles(store) == ["Analyst"]
    assert store.source_state("bad").last_error == first["bad"].error  # `leads sources` says it
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    again = {s.name: s for s in collect(config, store, lambda: NOW).sources}
    assert (again["bad"].status, again["bad"].new) == (FetchStatus.OK, 1)
    assert titles(store) == ["Analyst", "Engineer"]
    # The refused haul's validators were not kept: the feed was fetched whole again.
    asked = [request.headers.get("If-None-Match") for request, _ in httpserver.log
             if request.path == "/bad"]
    assert asked == [None, None]
