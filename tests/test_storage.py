"""The store on real SQLite and PostgreSQL: postings kept once, state remembered, schema
versioned; connection errors and settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from databases import migrate, need_postgres, new_postgres_database
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from aggregator.core.errors import StoreError
from aggregator.core.models import Posting, Salary, SourceState
from aggregator.store import Store, migrations, schema
from aggregator.store.engine import empty_sqlite_database, open_engine
from aggregator.store.leases import Lease

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=3)


def posting(n: int, **changes: object) -> Posting:
    base = Posting(
        source="wwr",
        external_id=f"job-{n}",
        url=f"https://example.org/jobs/{n}?utm_source=feed",
        title=f"Backend Engineer {n}",
        company="Acme",
        location="Remote",
        remote=True,
        employment_type="full_time",
        salary=Salary(minimum=90000, maximum=120000, currency="USD", period="year"),
        posted_at=T0 - timedelta(days=1),
        description_html="<p>Python</p>",
        description_text="Python",
        tags=("Back-End Programming", "python"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store(database_url)
    yield opened
    opened.close()


def test_new_updated_unchanged_counts_and_seen_times(store: Store) -> None:
    state = SourceState(name="wwr")
    assert store.save_collected(state, [posting(1), posting(2)], T0) == (2, 0, 0)
    edited = posting(2, title="Senior Backend Engineer 2")
    assert store.save_collected(state, [posting(1), edited, posting(3)], T1) == (1, 1, 1)
    rows = {s.posting.external_id: s for s in store.postings()}
    assert rows["job-1"].first_seen == T0 and rows["job-1"].last_seen == T1
    assert (
        rows["job-2"].first_seen == T0
        and rows["job-2"].posting.title == "Senior Backend Engineer 2"
    )
    assert rows["job-3"].first_seen == T1


def test_posting_round_trips_every_field(store: Store) -> None:
    original = posting(7)
    store.save_collected(SourceState(name="wwr"), [original], T0)
    (stored,) = store.postings()
    assert stored.posting == original
    assert stored.posting.posted_at is not None and stored.posting.posted_at.tzinfo is UTC


def test_same_posting_twice_in_one_batch_is_stored_once(store: Store) -> None:
    assert store.save_collected(SourceState(name="wwr"), [posting(1), posting(1)], T0) == (1, 0, 0)
    assert store.posting_counts() == {"wwr": 1}


def test_same_id_in_two_sources_is_two_rows(store: Store) -> None:
    store.save_collected(SourceState(name="wwr"), [posting(1)], T0)
    store.save_collected(SourceState(name="other"), [posting(1, source="other")], T0)
    assert store.posting_counts() == {"other": 1, "wwr": 1}


def test_postings_filters_by_since_and_source(store: Store) -> None:
    store.save_collected(SourceState(name="wwr"), [posting(1)], T0)
    store.save_collected(SourceState(name="other"), [posting(2, source="other")], T1)
    assert [s.posting.external_id for s in store.postings(since=T1)] == ["job-2"]
    assert [s.posting.external_id for s in store.postings(source="wwr")] == ["job-1"]


def test_source_state_success_failure_and_recovery(store: Store) -> None:
    state = SourceState(name="wwr", config_url="https://a", url="https://a", etag='"v1"')
    store.save_collected(state, [posting(1)], T0)
    saved = store.source_state("wwr")
    assert (saved.etag, saved.last_success, saved.last_item_count) == ('"v1"', T0, 1)
    store.record_failure(saved, "HTTP 500", T1)
    failed = store.record_failure(store.source_state("wwr"), "HTTP 500 again", T1)
    assert failed.consecutive_failures == 2
    reread = store.source_state("wwr")
    assert (reread.last_error, reread.consecutive_failures, reread.etag) == (
        "HTTP 500 again",
        2,
        '"v1"',
    )
    assert reread.last_success == T0  # a failure does not erase the last success
    store.record_not_modified([reread], T1)
    recovered = store.source_state("wwr")
    assert recovered.consecutive_failures == 0 and recovered.last_error is None
    assert recovered.last_success == T1 and recovered.etag == '"v1"'


def test_not_modified_sources_are_recorded_together_each_with_its_own_state(
    store: Store,
) -> None:
    for n, etag in ((1, '"a"'), (2, '"b"')):
        store.save_collected(SourceState(name=f"feed-{n}", etag=etag), [posting(n)], T0)
    failing = store.record_failure(store.source_state("feed-2"), "HTTP 503", T0)
    moved = replace(store.source_state("feed-1"), url="https://moved.example/feed")
    never_stored = SourceState(name="feed-3", etag='"c"')
    store.record_not_modified([moved, failing, never_stored], T1)
    states = {s.name: s for s in store.source_states()}
    assert [(s.etag, s.url, s.last_success, s.last_error) for s in states.values()] == [
        ('"a"', "https://moved.example/feed", T1, None),
        ('"b"', None, T1, None),
        ('"c"', None, T1, None),
    ]
    assert states["feed-2"].consecutive_failures == 0
    assert states["feed-1"].last_item_count == 1  # a 304 keeps what the last body held


def test_unknown_source_has_empty_state(store: Store) -> None:
    assert store.source_state("never-seen") == SourceState(name="never-seen")


def test_states_of_gives_each_named_source_its_own_state_in_one_call(store: Store) -> None:
    store.save_collected(SourceState(name="feed-1", etag='"a"'), [posting(1)], T0)
    failing = store.record_failure(SourceState(name="feed-2"), "HTTP 503", T0)
    states = store.states_of(["feed-2", "never-seen", "feed-1"])
    assert list(states) == ["feed-2", "never-seen", "feed-1"]
    assert states["feed-2"] == failing and states["feed-1"] == store.source_state("feed-1")
    assert states["feed-1"].etag == '"a"'
    assert states["never-seen"] == SourceState(name="never-seen")


def test_finishing_sources_names_those_whose_lease_another_collector_took(store: Store) -> None:
    clock = [T0]
    first, second = (Lease(f"host-{n}.example:1:x", 60, lambda: clock[0]) for n in (1, 2))
    names = ["feed-1", "feed-2"]
    round_id = store.join_round(names, first).id
    assert store.claim_sources(round_id, names, first, 2) == names
    clock[0] = T0 + timedelta(seconds=61)  # the first collector stalled past its leases
    assert store.claim_sources(round_id, names, second, 2) == names
    assert store.finish_sources(round_id, ["feed-1"], second) == []
    assert store.finish_sources(round_id, names, first) == names  # both passed to the second
    state = store.round_state(round_id, names, second)
    assert (state.to_do, state.leased_elsewhere) == (1, 0)  # feed-2: the second's to finish


def test_sqlite_uses_wal_and_survives_reopen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    first = Store(url)
    first.save_collected(SourceState(name="wwr"), [posting(1)], T0)
    first.close()
    second = Store(url)
    with second.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert second.posting_counts() == {"wwr": 1}
    second.close()


def test_a_new_sqlite_database_has_8k_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    def page_size(store: Store) -> int:
        with store.engine.connect() as conn:
            return int(conn.execute(text("PRAGMA page_size")).scalar_one())

    new = Store(f"sqlite:///{tmp_path / 'new.db'}")
    assert page_size(new) == 8192
    new.close()
    made_before = sqlite3.connect(tmp_path / "old.db")
    made_before.execute("PRAGMA journal_mode=WAL")
    made_before.execute("CREATE TABLE made_before (x)")
    (its_own,) = made_before.execute("PRAGMA page_size").fetchone()
    made_before.close()
    assert its_own != 8192  # SQLite's default, 4096
    old = Store(f"sqlite:///{tmp_path / 'old.db'}")
    old.save_collected(SourceState(name="wwr"), [posting(1)], T0)
    assert page_size(old) == its_own
    assert old.posting_counts() == {"wwr": 1}
    old.close()


def test_new_database_is_stamped_with_schema_version(store: Store) -> None:
    with store.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version FROM schema_version")).scalar()
            == migrations.SCHEMA_VERSION
        )


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    first = Store(url)
    with first.engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    first.close()
    with pytest.raises(StoreError, match="newer than this mentor-leads understands"):
        Store(url)


def opened(url: str) -> Store:
    """The store at ``url`` after `leads migrate` (which SQLite does on open anyway)."""
    migrate(url)
    return Store(url)


def test_older_schema_is_migrated_forward_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url  # a database at the current version
    ran: list[int] = []
    following = migrations.SCHEMA_VERSION + 1

    def add_notes_column(conn: Connection) -> None:
        ran.append(following)
        conn.execute(text("ALTER TABLE postings ADD COLUMN notes TEXT"))

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", following)
    monkeypatch.setitem(migrations.MIGRATIONS, following, add_notes_column)
    opened(url).close()
    opened(url).close()  # migrating again does nothing
    assert ran == [following]
    reopened = Store(url)
    assert "notes" in {c["name"] for c in inspect(reopened.engine).get_columns("postings")}
    reopened.close()


@pytest.mark.parametrize("early", [False, True])
def test_a_schema_1_database_is_migrated_to_the_current_schema(
    database_url: str, early: bool
) -> None:
    """Schema 1 as released, and as first released (before the matching tables existed)."""
    url = database_url
    first = Store(url)
    with first.engine.begin() as conn:  # take it back to what schema 1 had
        conn.execute(text("DROP TABLE deliveries"))
        conn.execute(text("DROP TABLE digest_runs"))
        conn.execute(text("ALTER TABLE mentee_progress DROP COLUMN profile_vectors"))
        if early:
            for table in ("matches", "feedback", "mentee_progress", "matcher_models"):
                conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
    first.close()
    migrated = opened(url)
    found = inspect(migrated.engine)
    assert set(found.get_table_names()) == set(schema.metadata.tables)
    for table in schema.metadata.sorted_tables:
        assert {c["name"] for c in found.get_columns(table.name)} == set(table.c.keys())
    assert migrated.delivered() == []
    with migrated.engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == (
            migrations.SCHEMA_VERSION
        )
    migrated.close()


def test_a_failed_migration_changes_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url
    following = migrations.SCHEMA_VERSION + 1

    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        conn.execute(text("ALTER TABLE no_such_table ADD COLUMN y TEXT"))

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", following)
    monkeypatch.setitem(migrations.MIGRATIONS, following, half_done)
    with pytest.raises(StoreError, match="cannot open the database"):
        opened(url)
    monkeypatch.undo()
    reopened = opened(url)
    assert "half_done" not in inspect(reopened.engine).get_table_names()
    reopened.close()


def test_unusable_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match=r"storage\.url"):
        Store("nosuchdb://x")


def test_nul_characters_are_dropped_on_the_way_in(store: Store) -> None:
    """PostgreSQL refuses NUL in text; both backends keep the text without it."""
    dirty = posting(
        1,
        title="Back\x00end",
        company="Ac\x00me",
        description_text="Py\x00thon",
        tags=("py\x00thon",),
        source="w\x00wr",
    )
    store.save_collected(SourceState(name="w\x00wr"), [dirty], T0)
    (stored,) = store.postings(source="wwr")
    assert (stored.posting.title, stored.posting.company) == ("Backend", "Acme")
    assert stored.posting.description_text == "Python"
    assert stored.posting.tags == ("python",)
    assert store.source_state("wwr").last_success == T0


def test_times_come_back_aware_in_utc(store: Store) -> None:
    berlin = T0.astimezone(ZoneInfo("Europe/Berlin"))
    store.save_collected(SourceState(name="wwr"), [posting(1)], berlin)
    (stored,) = store.postings()
    assert stored.first_seen == T0 and stored.first_seen.utcoffset() == timedelta(0)
    assert list(store.postings(since=T0)) == [stored]
    assert list(store.postings(since=T1)) == []


def test_long_text_in_every_column_is_kept(store: Store) -> None:
    """No length limit: PostgreSQL would refuse what SQLite keeps, and an indexed URL longer
    than a btree entry allows (about 2,700 bytes) must not fail the source's batch."""
    long_url = "https://example.org/jobs/" + "x" * 9_000
    tall = posting(1, url=long_url, employment_type="e" * 500, title="t" * 5_000)
    store.save_collected(SourceState(name="s" * 300), [replace(tall, source="s" * 300)], T0)
    (stored,) = store.postings()
    assert stored.posting.url == long_url and stored.posting.employment_type == "e" * 500


def test_an_unreachable_server_is_one_line_with_the_password_masked() -> None:
    with pytest.raises(StoreError) as caught:
        Store("postgresql+psycopg://leads:s3cret@127.0.0.1:1/leads")  # nothing listens on 1
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message
    assert message.startswith("cannot connect to the database at ")
    assert "postgresql+psycopg://leads:***@127.0.0.1:1/leads" in message
    assert "check storage.url" in message


@pytest.mark.parametrize(
    ("url", "said"),
    [
        # A typo (two dots): psycopg's name lookup raised UnicodeError, a traceback.
        ("postgresql+psycopg://leads:s3cret@db..example.org:5432/leads", "cannot connect to"),
        # A port that is no number: SQLAlchemy's ValueError, and again in the message's URL.
        ("postgresql+psycopg://leads:s3cret@[::1:5432/leads", "cannot use storage.url"),
        # libpq takes the password in the query too: it was shown in clear.
        ("postgresql+psycopg://leads@127.0.0.1:1/leads?password=s3cret", "cannot connect to"),
        # An '@' in the password: its rest was taken for the host, and shown.
        ("postgresql+psycopg://leads:pa@s3cret@127.0.0.1:1/leads", "write each '@' in them as %40"),
    ],
)  # fmt: skip
def test_a_malformed_url_is_one_line_without_its_password(url: str, said: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(url)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message and said in message
    assert "check storage.url" in message or "%40" in message


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"database": "no_such_database"}, 'database "no_such_database" does not exist'),
        ({"username": "nobody", "password": "pw"}, 'role "nobody" does not exist'),
    ],
)
def test_a_missing_database_or_user_is_one_line(
    empty_postgres: str, change: dict[str, str], said: str
) -> None:
    url = make_url(empty_postgres).set(**change).render_as_string(hide_password=False)
    with pytest.raises(StoreError) as caught:
        Store(url)
    message = str(caught.value)
    assert "\n" not in message and said in message and ":pw@" not in message


def test_a_new_postgresql_database_asks_for_leads_migrate(empty_postgres: str) -> None:
    with pytest.raises(StoreError, match=r"no mentor-leads tables yet — run `leads migrate`"):
        Store(empty_postgres)


def test_an_older_or_newer_postgresql_schema_is_refused_with_the_fix(
    empty_postgres: str,
) -> None:
    engine = open_engine(empty_postgres)
    migrations.migrate(engine, empty_postgres)
    for version, said in (
        (migrations.SCHEMA_VERSION - 1, "needs version .* — run `leads migrate`"),
        (99, "newer than this mentor-leads understands"),
    ):
        with engine.begin() as conn:
            conn.execute(text("UPDATE schema_version SET version = :v"), {"v": version})
        with pytest.raises(StoreError, match=said):
            Store(empty_postgres)
    engine.dispose()


def test_statement_timeout_and_pool_size_reach_postgresql(database_url: str) -> None:
    store = Store(database_url, pool_size=3, statement_timeout=0.25)
    assert store.engine.pool.size() == 3  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "250ms"
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(2)"))
    store.close()


def test_text_sorts_by_its_bytes_as_on_sqlite_whatever_the_servers_locale() -> None:
    """A database whose locale sorts "alpha" before "Beta" (ICU en-US, as most servers' do)
    lists sources in SQLite's order all the same."""
    need_postgres()
    with new_postgres_database(icu_locale="en-US") as url:
        migrate(url)
        store = Store(url)
        for name in ("alpha", "Beta", "sam-lee", "samantha"):
            store.record_failure(SourceState(name=name), "down", T0)
        assert [s.name for s in store.source_states()] == ["Beta", "alpha", "sam-lee", "samantha"]
        with store.engine.connect() as conn:  # the server's own order, for contrast
            found = conn.execute(text("SELECT 'alpha' < 'Beta' COLLATE \"en-US-x-icu\"")).scalar()
        assert found is True
        store.close()


def test_postgresql_tables_get_statistics_when_first_stored_into(postgres_database: str) -> None:
    """Without a first ANALYZE the planner reads whole tables for every lookup of a batch
    (storing a first big collection grew quadratic); the first postings stored give it one."""
    store = Store(postgres_database)
    store.save_collected(SourceState(name="wwr"), [posting(n) for n in range(3)], T0)
    tables = ["postings", "leads", "lead_bands"]
    with store.engine.connect() as conn:
        analysed = conn.execute(
            text(
                "SELECT relname FROM pg_stat_user_tables WHERE relid = to_regclass(relname) "
                "AND relname = ANY(:tables) AND last_analyze IS NOT NULL ORDER BY relname"
            ),
            {"tables": tables},
        ).scalars()
        assert list(analysed) == sorted(tables)
    store.close()


def test_a_database_another_program_keeps_locked_is_said_to_be_so(tmp_path: Path) -> None:
    """Seen: after SQLite's 30 s wait, "database is locked — check storage.url and that its
    folder exists and is writable": the URL and the folder were fine."""
    path = tmp_path / "leads.db"
    Store(f"sqlite:///{path}").close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a database browser with a write open, say
    waiter = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            waiter.execute("BEGIN IMMEDIATE")
    finally:
        waiter.close()
        holder.close()
    said = migrations.what_to_do(OperationalError("BEGIN IMMEDIATE", None, locked.value))
    assert said.startswith("another program kept it locked")
    unwritable = OperationalError("BEGIN", None, sqlite3.OperationalError("readonly database"))
    assert migrations.what_to_do(unwritable) == (
        "check storage.url and that its folder exists and is writable")


def test_a_mentors_last_digest_run_is_read_alone_and_matches_the_full_list(store: Store) -> None:
    assert store.last_digest_run("ana") is None
    store.record_digest_run("ana", "<a@x>", T0)
    store.record_digest_run("ben", None, T1)
    store.record_digest_run("ana", "<b@x>", T1 + timedelta(hours=1))  # the latest counts

    assert store.last_digest_run("ana") == T1 + timedelta(hours=1)
    assert store.last_digest_run("ben") == T1
    assert store.last_digest_run("cy") is None
    every = store.last_digest_runs()
    assert {mentor: store.last_digest_run(mentor) for mentor in every} == every


def test_a_database_is_emptied_in_place_for_whoever_has_it_open(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    Store(f"sqlite:///{path}").close()
    inode = path.stat().st_ino
    with closing(sqlite3.connect(path)) as reader:  # a `leads serve` on it
        assert reader.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        empty_sqlite_database(path)
        assert reader.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    assert path.stat().st_ino == inode
    Store(f"sqlite:///{path}").close()  # a fresh schema on the same file


def test_a_file_that_is_no_database_is_removed_to_start_anew(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    path.write_bytes(b"not a database at all" * 100)
    (tmp_path / "leads.db-journal").write_bytes(b"x")
    empty_sqlite_database(path)
    assert not path.exists() and not (tmp_path / "leads.db-journal").exists()


def test_a_locked_database_is_left_as_it_is_and_said_so(tmp_path: Path) -> None:
    """Seen: a lock held past the wait read as "not a database", and the files were deleted
    under the program writing to them."""
    path = tmp_path / "leads.db"
    Store(f"sqlite:///{path}").close()
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match=r"could not be emptied .*another program is writing"):
            empty_sqlite_database(path, wait_seconds=0.05)
        writer.execute("ROLLBACK")
    with closing(sqlite3.connect(path)) as reader:
        assert reader.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0


def test_a_missing_database_is_left_missing_and_a_dangling_link_removed(tmp_path: Path) -> None:
    empty_sqlite_database(tmp_path / "leads.db")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "leads.db").symlink_to(tmp_path / "elsewhere" / "real.db")
    empty_sqlite_database(tmp_path / "leads.db")
    assert list(tmp_path.iterdir()) == []  # opened, the link would have made its target


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_linked_database_is_unlinked_never_emptied(tmp_path: Path, link: str) -> None:
    """Seen: a demo folder's leads.db linking to a real database emptied the real one."""
    real = tmp_path / "real.db"
    with closing(sqlite3.connect(real)) as conn:
        conn.execute("CREATE TABLE precious (x)")
        conn.commit()
    demo = tmp_path / "demo"
    demo.mkdir()
    if link == "symbolic":
        (demo / "leads.db").symlink_to(real)
    else:
        (demo / "leads.db").hardlink_to(real)
    empty_sqlite_database(demo / "leads.db")
    assert not (demo / "leads.db").exists()
    with closing(sqlite3.connect(real)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("precious",)]
