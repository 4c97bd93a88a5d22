"""`leads digest` end to end: real recorded feeds collected and matched into a real store
(SQLite and PostgreSQL), digests delivered to a real outbox folder or a real aiosmtpd server
on 127.0.0.1.

What is recorded as delivered is checked against what the server accepted: a lead is recorded
only once its message was accepted, and never goes to the same mentor twice.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest
from databases import storage_yaml
from people import MENTEES_YAML
from recordings import still_listed_fixtures
from smtpkit import FROM, refusing_port, smtp_server
from typer.testing import CliRunner, Result

from aggregator.cli import app
from aggregator.core.config import load_config
from aggregator.core.models import Digest, Verdict
from aggregator.loopback import serve_directory
from aggregator.stages import digest as digest_stage
from aggregator.store import BRIEF_CHARS, Store
from digests.render import render_digest
from digests.senders import OutboxSender, SmtpSender
from sources import option_models

Site = tuple[Path, str, str]  # a test's folder, the feeds' base URL and the database URL
FEEDS = ["back-end-programming", "design", "devops-sysadmin", "front-end-programming"]
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
PEOPLE = (
    """\
mentors:
  - id: maria
    name: Maria Okafor
    email: maria@example.org
    timezone: Europe/Berlin
    digest: {max_leads_per_mentee: 3}
    network:
      - name: Jana Novak
        email: jana@example.com
        company: Lemon.io
        position: Engineering Manager
      - {name: Tom Ibarra, company: "Amazee.io, Inc.", url: "https://www.linkedin.com/in/tom"}
  - id: dev
    name: Dev Raman
    email: dev@example.org
    timezone: America/Chicago
"""
    + MENTEES_YAML
)


# The recordings are from 2022: no age limit here (tests/test_freshness.py tests it).
RECORDED_AGES = "matching: {max_age_days: null}\n"


def write_config(folder: Path, base_url: str, database: str, delivery: str = "") -> Path:
    sources = "\n".join(
        f'  - {{name: {feed}, type: rss, url: "{base_url}rss/wwr_2022-11/remote-{feed}-jobs.rss"}}'
        for feed in FEEDS
    )
    path = folder / "config.yaml"
    path.write_text(
        f"{storage_yaml(database)}http: {{retries: 0}}\n{RECORDED_AGES}{delivery}\n"
        f"sources:\n{sources}\n{PEOPLE}",
        encoding="utf-8",
    )
    return path


def leads(config: Path, *args: str) -> Result:
    runner = CliRunner(env={"COLUMNS": "250"})
    return runner.invoke(app, ["--config", str(config), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def matched(
    tmp_path_factory: pytest.TempPathFactory, module_database: str
) -> Iterator[tuple[Path, str]]:
    """A folder with a config and a store holding collected, matched leads (made once)."""
    folder = tmp_path_factory.mktemp("matched")
    with serve_directory(still_listed_fixtures()) as base_url:
        config = write_config(folder, base_url, module_database)
        assert leads(config, "collect").exit_code == 0
        assert leads(config, "match").exit_code == 0
        yield folder, base_url


@pytest.fixture
def site(matched: tuple[Path, str], tmp_path: Path, database_copy: str) -> Site:
    """A private copy of the matched folder and database for one test."""
    folder, base_url = matched
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    return tmp_path, base_url, database_copy


def smtp_delivery(port: int) -> str:
    smtp = f'{{host: 127.0.0.1, port: {port}, security: none, from: "{FROM}", timeout: 5}}'
    return f"delivery:\n  method: smtp\n  smtp: {smtp}\n"


def delivered(database: str) -> list[tuple[str, str, int, str]]:
    store = Store(database)
    try:
        return store.delivered()
    finally:
        store.close()


def outbox_messages(folder: Path) -> dict[str, EmailMessage]:
    return {
        path.name: cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
        for path in sorted((folder / "outbox").glob("*.eml"))
    }


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return cast(str, body.get_content())


def test_file_digests_are_written_recorded_and_never_repeated(site: Site) -> None:
    folder, base_url, database = site
    config = write_config(folder, base_url, database)
    narrow = CliRunner(env={"COLUMNS": "60"})
    first = narrow.invoke(app, ["--config", str(config), "digest"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    # One line per mentor, however narrow the output: cron mails it, scripts read it.
    lines = first.stdout.splitlines()
    assert sorted(line.partition(": ")[0] for line in lines) == ["dev", "maria"], lines
    assert all(line.endswith(f"(outbox {folder / 'outbox'})") for line in lines), lines
    messages = outbox_messages(folder)
    assert len(messages) == 2
    by_mentor = {str(m["To"].addresses[0].addr_spec): m for m in messages.values()}
    assert set(by_mentor) == {"maria@example.org", "dev@example.org"}
    recorded = delivered(database)
    for mentor, message in (
        ("maria", by_mentor["maria@example.org"]),
        ("dev", by_mentor["dev@example.org"]),
    ):
        rows = [r for r in recorded if r[0] == mentor]
        assert rows and {r[3] for r in rows} == {message["Message-ID"]}
    maria_rows = [r for r in recorded if r[0] == "maria"]
    per_mentee = {m: sum(1 for r in maria_rows if r[1] == m) for m in ("sam-lee", "alex-kim")}
    assert per_mentee == {"sam-lee": 3, "alex-kim": 3}  # max_leads_per_mentee
    again = leads(config, "digest")
    assert again.exit_code == 0
    assert "maria: nothing new" in again.output and "dev: nothing new" in again.output
    assert len(outbox_messages(folder)) == 2
    assert delivered(database) == recorded


def test_a_digest_shows_each_mentees_best_leads_and_retires_the_rest(
    site: Site,
) -> None:
    folder, base_url, database = site
    loaded = load_config(write_config(folder, base_url, database), option_models())
    store = Store(loaded.database_url)
    try:
        maria = loaded.mentors[0]
        first = digest_stage.compose(loaded, store, maria, NOW)
        best = {m.lead_id: m.score for m in store.matches("sam-lee")}
        store.record_delivery(
            "maria",
            digest_stage.delivered_pairs(first.digest),
            first.digest.message_id,
            NOW,
            passed_over=first.passed_over,
        )
        second = digest_stage.compose(loaded, store, maria, NOW)
    finally:
        store.close()
    sam = next(s for s in first.digest.sections if s.mentee.id == "sam-lee")
    assert [lead.match.lead_id for lead in sam.leads] == sorted(
        best, key=lambda lead: (-best[lead], lead)
    )[:3]
    assert {lead for mentee, lead in first.passed_over if mentee == "sam-lee"} == set(
        sorted(best, key=lambda lead: (-best[lead], lead))[3:]
    )
    assert second.digest.lead_count == 0 and second.passed_over == ()


def marias_digest(folder: Path, base_url: str, database: str) -> Digest:
    """Maria's digest as it would be composed now (nothing sent or recorded)."""
    loaded = load_config(write_config(folder, base_url, database), option_models())
    store = Store(loaded.database_url)
    try:
        return digest_stage.compose(loaded, store, loaded.mentors[0], NOW).digest
    finally:
        store.close()


def test_connect_lines_come_from_the_mentors_network(site: Site) -> None:
    digest = marias_digest(*site)
    known = {
        lead.match.posting.posting.company: [c.name for c in lead.contacts]
        for section in digest.sections
        for lead in section.leads
        if lead.contacts
    }
    # "Amazee.io, Inc." in the network is the feed's "amazee.io" (Alex's best lead); nobody is
    # known elsewhere.
    assert known == {"Lemon.io": ["Jana Novak"], "amazee.io": ["Tom Ibarra"]}
    message = render_digest(digest)
    text = text_of(message)
    assert "You know Jana Novak (Engineering Manager) at Lemon.io" in text
    assert "mailto:jana%40example.com" in text or "mailto:jana@example.com" in text


def test_dry_run_and_preview_send_and_record_nothing(site: Site) -> None:
    folder, base_url, database = site
    config = write_config(folder, base_url, database)
    preview = folder / "preview"
    result = leads(config, "digest", "--dry-run", "--preview", str(preview))
    assert result.exit_code == 0, result.output
    assert "dry run: not sent" in result.output
    assert "Sam Lee:" in result.output and "Priya Nair:" in result.output
    assert sorted(p.name for p in preview.iterdir()) == [
        "dev.html",
        "dev.txt",
        "maria.html",
        "maria.txt",
    ]
    assert "<html" in (preview / "maria.html").read_text(encoding="utf-8").lower()
    assert not (folder / "outbox").exists()
    assert delivered(database) == []
    assert leads(config, "digest").exit_code == 0
    nothing = leads(config, "digest", "--dry-run", "--preview", str(folder / "again"))
    assert "No previews written: no mentor has a digest to send." in nothing.output
    assert not (folder / "again").exists()


def test_one_mentor_only(site: Site) -> None:
    folder, base_url, database = site
    config = write_config(folder, base_url, database)
    assert leads(config, "digest", "--mentor", "dev").exit_code == 0
    assert {r[0] for r in delivered(database)} == {"dev"}
    unknown = leads(config, "digest", "--mentor", "nobody")
    assert unknown.exit_code == 2
    assert "no mentor with id 'nobody'" in unknown.output
    typo = leads(config, "digest", "--mentor", "deV")
    assert typo.exit_code == 2
    assert "no mentor with id 'deV' (did you mean 'dev'?)" in typo.output
    assert "configuration" not in typo.output


def test_not_for_me_leads_are_left_out(site: Site) -> None:
    folder, base_url, database = site
    config = write_config(folder, base_url, database)
    loaded = load_config(config, option_models())
    store = Store(loaded.database_url)
    try:
        top = store.matches("sam-lee")[0]
        store.record_feedback("sam-lee", top.lead_id, Verdict.NOT_FOR_ME, NOW)
        digest = digest_stage.compose(loaded, store, loaded.mentors[0], NOW).digest
    finally:
        store.close()
    sam = next(s for s in digest.sections if s.mentee.id == "sam-lee")
    assert top.lead_id not in {lead.match.lead_id for lead in sam.leads}
    assert len(sam.leads) == 3


def test_nothing_new_sends_nothing_unless_send_empty(site: Site) -> None:
    folder, base_url, database = site
    config = write_config(folder, base_url, database)
    assert leads(config, "digest").exit_code == 0
    before = set(outbox_messages(folder))
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "timezone: America/Chicago", "timezone: America/Chicago\n    digest: {send_empty: true}"
        ),
        encoding="utf-8",
    )
    result = leads(config, "digest")
    assert result.exit_code == 0, result.output
    assert "maria: nothing new" in result.output
    new = {name: m for name, m in outbox_messages(folder).items() if name not in before}
    (message,) = new.values()
    assert message["Subject"] == "No new leads this week"
    assert message["To"].addresses[0].addr_spec == "dev@example.org"


def test_each_empty_digest_has_a_message_id_of_its_own(site: Site) -> None:
    """Seen: every "No new leads" to a mentor had one Message-ID (made from its leads, of
    which it has none): mail services drop such repeats, and the outbox kept one file."""
    folder, base_url, database = site
    config = write_config(folder, base_url, database)
    assert leads(config, "digest").exit_code == 0  # everything new is delivered
    loaded = load_config(config, option_models())
    dev = loaded.mentors[1]
    mentor = dev.model_copy(update={"digest": dev.digest.model_copy(update={"send_empty": True})})
    store = Store(loaded.database_url)
    try:
        ids = [digest_stage.compose(loaded, store, mentor, when).digest
               for when in (NOW, NOW + timedelta(days=7))]  # fmt: skip
    finally:
        store.close()
    assert not any(section.leads for digest in ids for section in digest.sections)
    assert ids[0].message_id != ids[1].message_id


def test_a_resend_after_a_crash_replaces_the_outbox_file(site: Site) -> None:
    """The message went out (fsynced) but the run died before recording it."""
    folder, base_url, database = site
    digest = marias_digest(*site)
    with OutboxSender(folder / "outbox") as sender:
        sender.send(render_digest(digest))
    config = write_config(folder, base_url, database)
    assert leads(config, "digest", "--mentor", "maria").exit_code == 0
    messages = outbox_messages(folder)
    assert [m["Message-ID"] for m in messages.values()] == [digest.message_id]
    assert {r[3] for r in delivered(database)} == {digest.message_id}


# -- SMTP -------------------------------------------------------------------------------


def test_smtp_starttls_with_login_delivers_every_digest_on_one_connection(
    site: Site,
) -> None:
    folder, base_url, database = site
    with smtp_server(tls="starttls", auth=True) as server:
        loaded = load_config(write_config(folder, base_url, database), option_models())
        settings = server.settings()
        store = Store(loaded.database_url)
        try:
            report = digest_stage.deliver(
                loaded,
                store,
                lambda: NOW,
                sender_factory=lambda: SmtpSender(settings, ssl_context=server.client_context),
            )
            recorded = store.delivered()
        finally:
            store.close()
        assert report.ok, report.failures
        assert report.destination.startswith("SMTP 127.0.0.1:")
        assert server.connections == 1
        received = server.messages
    assert len(received) == 2
    assert all(r.tls and r.authenticated for r in received)
    assert {r.recipients for r in received} == {("maria@example.org",), ("dev@example.org",)}
    assert {r.message["Message-ID"] for r in received} == {row[3] for row in recorded}
    for r in received:
        assert r.mail_from == "leads@example.org"
        assert r.message["Auto-Submitted"] == "auto-generated"


def test_smtp_down_keeps_every_lead_pending_for_the_next_run(site: Site) -> None:
    folder, base_url, database = site
    with refusing_port() as port:
        down = leads(write_config(folder, base_url, database, smtp_delivery(port)), "digest")
    assert down.exit_code == 1
    assert f"127.0.0.1:{port}" in down.output and "not delivered" in down.output
    assert delivered(database) == []
    with smtp_server() as server:
        up = leads(write_config(folder, base_url, database, smtp_delivery(server.port)), "digest")
        assert up.exit_code == 0, up.output
        assert len(server.messages) == 2
        ids = {r.message["Message-ID"] for r in server.messages}
    assert {row[3] for row in delivered(database)} == ids


@pytest.mark.parametrize("fault", ["451 at DATA", "disconnect during DATA"])
def test_a_temporary_failure_records_nothing_and_the_next_run_sends_once(
    site: Site, fault: str
) -> None:
    folder, base_url, database = site
    with smtp_server() as server:
        config = write_config(folder, base_url, database, smtp_delivery(server.port))
        if fault == "451 at DATA":
            server.reject("451 4.3.0 try again later", at="DATA")
        else:
            server.drop_during_data()
        failed = leads(config, "digest")
        assert failed.exit_code == 1
        assert server.messages == []
        assert delivered(database) == []
        server.clear_faults()
        assert leads(config, "digest").exit_code == 0
        assert leads(config, "digest").exit_code == 0  # nothing new: nothing sent twice
        received = server.messages
    assert len(received) == 2
    recorded = delivered(database)
    assert len({(r[0], r[2]) for r in recorded}) == len(recorded)  # no lead twice per mentor
    assert {row[3] for row in recorded} == {r.message["Message-ID"] for r in received}


@pytest.mark.parametrize("command", [["digest"], ["run", "--only", "digest"]])
def test_each_digest_not_delivered_is_said_once_on_stderr(site: Site, command: list[str]) -> None:
    """Seen from cron: with the SMTP server down, each mentor's failure was said twice, once
    as a log warning and once as the command's own line."""
    folder, base_url, database = site
    with refusing_port() as port:
        config = write_config(folder, base_url, database, smtp_delivery(port))
        ran = subprocess.run(
            [sys.executable, "-m", "aggregator", "--config", str(config), *command],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert ran.returncode == 1, ran.stderr
    failures = [line for line in ran.stderr.splitlines() if "refused" in line]
    assert [line.split(":")[0] for line in failures] == ["maria", "dev"], ran.stderr
    assert "WARNING" not in ran.stderr


def test_a_permanent_refusal_for_one_mentor_does_not_block_the_others(
    site: Site,
) -> None:
    folder, base_url, database = site
    with smtp_server() as server:
        config = write_config(folder, base_url, database, smtp_delivery(server.port))
        server.reject("550 5.1.1 mailbox unavailable", recipient="maria@example.org")
        result = leads(config, "digest")
        received = server.messages
    assert result.exit_code == 1
    assert "maria: not delivered" in result.output and "550" in result.output
    assert [r.recipients for r in received] == [("dev@example.org",)]
    assert {r[0] for r in delivered(database)} == {"dev"}


def test_a_failed_login_keeps_every_lead_pending_until_the_password_is_fixed(
    site: Site,
) -> None:
    folder, base_url, database = site
    loaded = load_config(write_config(folder, base_url, database), option_models())
    with smtp_server(tls="starttls", auth=True) as server:
        for password, expected_ok in (("wrong", False), (None, True)):
            settings = server.settings(**({"password": password} if password else {}))
            store = Store(loaded.database_url)
            try:
                report = digest_stage.deliver(
                    loaded,
                    store,
                    lambda: NOW,
                    sender_factory=lambda s=settings: SmtpSender(
                        s, ssl_context=server.client_context
                    ),
                )
                recorded = store.delivered()
            finally:
                store.close()
            assert report.ok is expected_ok
            if not expected_ok:
                assert {o.mentor for o in report.failures} == {"maria", "dev"}
                assert "535" in (report.failures[0].error or "")
                assert recorded == [] and server.messages == []
        assert len(server.messages) == 2
    assert {row[3] for row in recorded} == {r.message["Message-ID"] for r in server.messages}


def test_pending_leads_carry_the_best_brief_postings_and_the_rest_as_pairs(
    site: Site,
) -> None:
    folder, base_url, database = site
    loaded = load_config(write_config(folder, base_url, database), option_models())
    store = Store(loaded.database_url)
    try:
        pending = store.pending_matches(
            "maria",
            ["sam-lee", "alex-kim"],
            min_score=0,
            first_seen_after=datetime(2000, 1, 1, tzinfo=UTC),
            per_mentee=2,
        )
        full = {(m.mentee, m.lead_id): m for m in store.matches() if m.mentee != "priya-nair"}
        places = store.seen_at(sorted({m.lead_id for m in pending.best}))
    finally:
        store.close()
    assert [(m.mentee, m.lead_id) for m in pending.best] == [
        key for key in full if key[0] == "alex-kim"
    ][:2] + [key for key in full if key[0] == "sam-lee"][:2]
    assert set(pending.others) == set(full) - {(m.mentee, m.lead_id) for m in pending.best}
    assert pending.seen_at == {lead: tuple(found) for lead, found in places.items()}
    for found in pending.best:
        brief, whole = found.posting.posting, full[(found.mentee, found.lead_id)].posting.posting
        assert brief.description_html == "" and whole.description_html
        assert brief.description_text == whole.description_text[:BRIEF_CHARS]
        assert (brief.title, brief.url, found.score) == (
            whole.title,
            whole.url,
            full[(found.mentee, found.lead_id)].score,
        )


def test_a_bug_met_with_one_mentors_digest_does_not_stop_the_others(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder, base_url, database = site
    loaded = load_config(write_config(folder, base_url, database), option_models())
    real_render = digest_stage.render_digest

    def render_failing_for_maria(digest: Digest) -> EmailMessage:
        if digest.mentor.id == "maria":
            raise RuntimeError("template exploded")
        return real_render(digest)

    monkeypatch.setattr(digest_stage, "render_digest", render_failing_for_maria)
    store = Store(loaded.database_url)
    try:
        report = digest_stage.deliver(loaded, store, lambda: NOW)
        recorded = store.delivered()
    finally:
        store.close()
    (failed,) = report.failures
    assert failed.mentor == "maria"
    assert "internal error (RuntimeError: template exploded)" in (failed.error or "")
    assert "unexpected error in the digest for maria" in caplog.text
    assert {row[0] for row in recorded} == {"dev"}
    assert len(outbox_messages(folder)) == 1
