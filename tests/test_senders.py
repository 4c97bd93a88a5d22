"""Digest senders against real files and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import re
import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from ssl import SSLContext
from typing import Any

import pytest
from digestkit import make_digest
from hypothesis import given, settings
from hypothesis import strategies as st
from smtpkit import (
    FROM,
    PASSWORD,
    Stage,
    Tls,
    refusing_port,
    silent_port,
    smtp_server,
    smtp_settings,
)

from aggregator.core.config import DeliveryConfig, SmtpConfig
from aggregator.core.errors import DeliveryError
from digests.render import render_digest
from digests.senders import OutboxSender, SmtpSender, dot_stuffed, flatten, open_sender

ANA = "ana.lima@example.org"
BEN = "ben@example.org"


def digest(
    to: str = ANA,
    *,
    message_id: str = "<digest.0123abcd@example.org>",
    date: str = "Mon, 23 Nov 2026 08:00:00 +0100",
    subject: str = "3 new leads for your mentees",
) -> EmailMessage:
    """A digest-like message: multipart, non-ASCII text, the headers the renderer sets."""
    message = EmailMessage()
    message["From"] = "Someone Else <someone@example.net>"  # the envelope must not use it
    message["To"] = f"Ana Lima <{to}>"
    message["Cc"] = "cc@example.org"  # not a recipient: digests go to To only
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    message.set_content("Hello Ana — 3 leads this week.\n")
    message.add_alternative("<p>Hello Ana — 3 leads this week.</p>\n", subtype="html")
    return message


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def send_once(
    settings: SmtpConfig, message: EmailMessage | None = None, context: SSLContext | None = None
) -> None:
    """Send one message through a sender of its own, closed afterwards."""
    with SmtpSender(settings, ssl_context=context) as sender:
        sender.send(message or digest())


def eml_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


# --- outbox -----------------------------------------------------------------------------


def test_outbox_writes_one_whole_file_that_parses_back(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"  # created on first send
    message = digest()
    with OutboxSender(outbox) as sender:
        sender.send(message)
    (written,) = eml_files(outbox)  # no temporary file left beside it
    assert re.fullmatch(r"20261123T070000Z-ana\.lima-[0-9a-f]{12}\.eml", written.name)
    assert written.read_bytes() == message.as_bytes()
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed["Subject"] == message["Subject"]
    assert body(parsed) == body(message)


def test_outbox_keeps_one_file_per_message_id(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path)
    sender.send(digest())
    sender.send(digest())  # a resend after a crash: same file, still one
    assert len(eml_files(tmp_path)) == 1
    # The same Message-ID composed again on a later run replaces its file in place.
    sender.send(digest(date="Tue, 24 Nov 2026 07:00:00 +0000", subject="resent"))
    (only,) = eml_files(tmp_path)
    assert only.name.startswith("20261123T070000Z-")
    assert message_from_bytes(only.read_bytes(), policy=policy.default)["Subject"] == "resent"


def test_outbox_names_sort_by_date_and_never_collide(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path)
    sender.send(digest(message_id="<b@example.org>", date="Tue, 24 Nov 2026 07:00:00 +0000"))
    sender.send(digest(message_id="<a@example.org>", date="Mon, 23 Nov 2026 07:00:00 +0000"))
    sender.send(digest(message_id="<c@example.org>", date="Mon, 23 Nov 2026 07:00:00 +0000"))
    ids = [
        message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"]
        for path in eml_files(tmp_path)
    ]
    assert ids[2] == "<b@example.org>"
    assert sorted(ids[:2]) == ["<a@example.org>", "<c@example.org>"]


def test_outbox_that_cannot_be_a_folder_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox should be")
    with pytest.raises(DeliveryError, match=r"delivery\.outbox") as caught:
        OutboxSender(blocker / "outbox").send(digest())
    assert not caught.value.permanent


def test_failed_outbox_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path)
    sender.send(digest())
    (written,) = eml_files(tmp_path)
    written.unlink()
    written.mkdir()  # the file's place is taken by a folder, so the final rename fails
    with pytest.raises(DeliveryError, match=re.escape(written.name)):
        sender.send(digest())
    assert eml_files(tmp_path) == [written]
    assert list(written.iterdir()) == []


def test_outbox_refuses_a_message_without_message_id(tmp_path: Path) -> None:
    message = digest()
    del message["Message-ID"]
    with pytest.raises(DeliveryError, match="Message-ID") as caught:
        OutboxSender(tmp_path).send(message)
    assert caught.value.permanent
    assert eml_files(tmp_path) == []


# --- SMTP: sessions ---------------------------------------------------------------------


@pytest.mark.parametrize(("tls", "auth"), [("none", False), ("starttls", True), ("ssl", True)])
def test_smtp_delivers_with_each_security(tls: Tls, auth: bool) -> None:
    with smtp_server(tls=tls, auth=auth) as server:
        with SmtpSender(server.settings(), ssl_context=server.client_context) as sender:
            sender.send(digest())
        (received,) = server.messages
    assert received.mail_from == "leads@example.org"  # smtp.from, not the From header
    assert received.recipients == (ANA,)
    assert received.tls is (tls != "none")
    assert received.authenticated is auth
    assert received.message["Message-ID"] == "<digest.0123abcd@example.org>"
    assert body(received.message) == body(digest())


def test_smtp_logs_in_on_a_plain_server_when_a_username_is_set() -> None:
    with smtp_server(auth=True) as server:
        with SmtpSender(server.settings()) as sender:
            sender.send(digest())
        assert server.messages[0].authenticated


def test_bad_password_fails_every_send_of_the_run_with_one_login() -> None:
    with smtp_server(tls="starttls", auth=True) as server:
        settings = server.settings(password=PASSWORD + "x")
        with SmtpSender(settings, ssl_context=server.client_context) as sender:
            for _ in range(2):
                with pytest.raises(DeliveryError) as caught:
                    sender.send(digest())
                text = str(caught.value)
                assert "535" in text
                assert "delivery.smtp.username and delivery.smtp.password" in text
                assert f"127.0.0.1:{server.port}" in text
                assert not caught.value.permanent  # fixed credentials make the next run work
        assert server.connections == 1
        assert server.messages == []


def test_untrusted_certificate_is_refused() -> None:
    with smtp_server(tls="starttls") as server:
        with pytest.raises(DeliveryError, match="certificate") as caught:
            send_once(server.settings())  # default context: CA not trusted
        assert not caught.value.permanent
        assert server.messages == []


def test_ssl_setting_against_a_plain_server_says_which_security_to_use() -> None:
    with smtp_server() as server, pytest.raises(DeliveryError, match=r"TLS failed.*port 465"):
        send_once(server.settings(security="ssl"), context=server.client_context)


def test_starttls_setting_against_a_server_without_it() -> None:
    with smtp_server() as server, pytest.raises(DeliveryError, match="STARTTLS"):
        send_once(server.settings(security="starttls"))


def test_connection_refused_names_the_server() -> None:
    with refusing_port() as port:
        with pytest.raises(DeliveryError, match=f"127.0.0.1:{port}: connection refused") as caught:
            send_once(smtp_settings(port))
        assert not caught.value.permanent


def test_silent_server_times_out() -> None:
    timeout = r"no answer in time.*raise delivery\.smtp\.timeout"
    with silent_port() as port, pytest.raises(DeliveryError, match=timeout):
        send_once(smtp_settings(port, timeout=0.2))


def test_verify_logs_in_and_quits_without_sending() -> None:
    with smtp_server(tls="starttls", auth=True) as server:
        SmtpSender(server.settings(), ssl_context=server.client_context).verify()
        assert server.connections == 1
        assert server.messages == []


def test_verify_names_a_refused_login_without_talk_of_pending_leads() -> None:
    with smtp_server(tls="starttls", auth=True) as server:
        sender = SmtpSender(server.settings(password="wrong"), ssl_context=server.client_context)
        with pytest.raises(DeliveryError) as caught:
            sender.verify()
    text = str(caught.value)
    assert text.startswith(f"SMTP 127.0.0.1:{server.port}: login refused (535")
    assert text.endswith("check delivery.smtp.username and delivery.smtp.password")


def test_verify_reports_an_unreachable_server() -> None:
    with refusing_port() as port, pytest.raises(DeliveryError, match="connection refused"):
        SmtpSender(smtp_settings(port)).verify()


# --- SMTP: messages ---------------------------------------------------------------------


def test_one_connection_carries_the_whole_run() -> None:
    with smtp_server(tls="starttls", auth=True) as server:
        with SmtpSender(server.settings(), ssl_context=server.client_context) as sender:
            for number in range(3):
                sender.send(digest(message_id=f"<digest.{number}@example.org>"))
        assert server.connections == 1
        assert [r.message["Message-ID"] for r in server.messages] == [
            "<digest.0@example.org>",
            "<digest.1@example.org>",
            "<digest.2@example.org>",
        ]


@pytest.mark.parametrize(
    ("stage", "reply", "permanent"),
    [
        ("RCPT", "451 4.3.0 mailbox busy, try later", False),
        ("DATA", "451 4.3.0 queue full, try later", False),
        ("DATA", "554 5.6.0 content rejected", True),
    ],
)
def test_server_refusals_are_temporary_or_permanent_by_code(
    stage: Stage, reply: str, permanent: bool
) -> None:
    with smtp_server() as server:
        server.reject(reply, at=stage)
        with pytest.raises(DeliveryError) as caught:
            send_once(server.settings())
        assert caught.value.permanent is permanent
        assert reply in str(caught.value)
        assert f"127.0.0.1:{server.port}" in str(caught.value)
        assert server.messages == []
        # Seen: "450 mailbox busy" sent the mentor to check an address that was right.
        assert "check the mentor's email address" not in str(caught.value)


def test_unknown_mailbox_fails_only_that_digest() -> None:
    with smtp_server() as server:
        server.reject("550 5.1.1 mailbox unavailable", recipient=ANA)
        with SmtpSender(server.settings()) as sender:
            with pytest.raises(DeliveryError, match=r"ana\.lima@example\.org: 550") as caught:
                sender.send(digest(ANA))
            assert caught.value.permanent
            assert "check the mentor's email address" in str(caught.value)
            sender.send(digest(BEN, message_id="<digest.ben@example.org>"))
        assert [r.recipients for r in server.messages] == [(BEN,)]
        assert server.connections == 1


def test_disconnect_during_data_is_temporary_and_nothing_was_accepted() -> None:
    with smtp_server(tls="starttls") as server:
        server.drop_during_data()
        with SmtpSender(server.settings(), ssl_context=server.client_context) as sender:
            with pytest.raises(DeliveryError, match="before accepting the message") as caught:
                sender.send(digest())
            assert not caught.value.permanent
            assert server.messages == []
            server.clear_faults()
            sender.send(digest())  # the next digest gets a new connection
        assert len(server.messages) == 1
        assert server.connections == 2


@pytest.mark.parametrize("goodbye", [None, "421 4.4.2 localhost idle too long, closing"])
@pytest.mark.parametrize("tls", ["none", "ssl"])
def test_reconnects_when_the_server_dropped_the_idle_connection(
    tls: Tls, goodbye: str | None
) -> None:
    with smtp_server(tls=tls) as server:
        server.hang_up_after_each_message(goodbye)
        with SmtpSender(server.settings(), ssl_context=server.client_context) as sender:
            sender.send(digest(message_id="<first@example.org>"))
            sender.send(digest(message_id="<second@example.org>"))
        assert [r.message["Message-ID"] for r in server.messages] == [
            "<first@example.org>",
            "<second@example.org>",
        ]
        assert server.connections == 2


def test_message_without_recipient_is_refused_before_connecting() -> None:
    message = digest()
    del message["To"]
    with smtp_server() as server:
        with pytest.raises(DeliveryError, match="no To address") as caught:
            send_once(server.settings(), message)
        assert caught.value.permanent
        assert server.connections == 0


# --- choosing -----------------------------------------------------------------------------


def test_open_sender_follows_the_delivery_method(tmp_path: Path) -> None:
    outbox = open_sender(DeliveryConfig(), tmp_path)
    assert isinstance(outbox, OutboxSender)
    assert outbox.describe() == f"outbox {tmp_path}"
    smtp = open_sender(
        DeliveryConfig.model_validate(
            {"method": "smtp", "smtp": {"host": "smtp.example.org", "from": FROM}}
        ),
        tmp_path,
    )
    assert isinstance(smtp, SmtpSender)
    assert smtp.describe() == "SMTP smtp.example.org:587 (STARTTLS)"


@pytest.mark.parametrize("linesep", ["\r\n", "\n"])
@pytest.mark.parametrize(
    "shape",
    [
        {"mentees": 1, "leads_per_mentee": 1},
        {"mentees": 4, "leads_per_mentee": 5},
        {"mentees": 2, "leads_per_mentee": 3, "hostile": True},
        {"mentees": 2, "leads_per_mentee": 0},
    ],
)
def test_flatten_writes_the_same_bytes_as_the_email_package(
    shape: dict[str, Any], linesep: str
) -> None:
    message = render_digest(make_digest(**shape))
    expected = message.as_bytes(policy=message.policy.clone(linesep=linesep))
    assert flatten(message, linesep) == expected


def test_flatten_leaves_bodies_it_cannot_pass_through_to_the_email_package() -> None:
    message = EmailMessage()
    message["Subject"] = "Zoë"
    message.set_content("From the start: naïve text\n", cte="8bit")
    assert flatten(message) == message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


# --- SMTP: the message's lines ---------------------------------------------------------------


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.binary(max_size=60)
       | st.lists(st.sampled_from([b".", b"\r\n", b"\n", b"\r", b"a", b".."]), max_size=30)
       .map(b"".join))
def test_dot_stuffing_is_smtplibs(data: bytes) -> None:
    assert dot_stuffed(data) == smtplib._quote_periods(data)


def test_lines_that_start_with_a_dot_arrive_as_written() -> None:
    """The server removes the dot that DATA adds before such a line (RFC 5321 4.5.2); a line
    of one dot, unstuffed, would end the message there."""
    text = ".NET developer wanted\n.\n..\nlast line.\n"
    message = digest()
    message.get_payload()[0].set_content(text)  # the plain part
    with smtp_server() as server:
        send_once(server.settings(), message)
        (received,) = server.messages
    assert body(received.message) == text
