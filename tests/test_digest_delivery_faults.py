"""Digest delivery when the SMTP server (or the outbox) misbehaves, as `leads digest` meets it:
a real aiosmtpd server on 127.0.0.1, real SQLite and PostgreSQL stores, real files.

Each failure must name the server or setting and what to do, leave the rest of the run going,
and lose no lead; where SMTP itself cannot tell whether a digest went out, say so.
"""

from __future__ import annotations

import pytest
import test_digest_delivery
from digestkit import make_digest
from smtpkit import smtp_server
from test_digest_delivery import Site, delivered, leads, smtp_delivery, write_config

from aggregator.core.errors import DeliveryError
from digests.render import render_digest
from digests.senders import SmtpSender

# A store of collected and matched leads, and a private copy of it for each test.
matched, site = test_digest_delivery.matched, test_digest_delivery.site


def test_an_answer_lost_after_the_whole_digest_says_it_may_come_twice(site: Site) -> None:
    """Seen: the server took every digest and hung up before its 250; each was reported as
    "dropped or stalled before accepting the message", and the next run sent them all again."""
    folder, base_url, database = site
    with smtp_server() as server:
        config = write_config(folder, base_url, database, smtp_delivery(server.port))
        server.leave_unanswered(hang_up=True)
        lost = leads(config, "digest")
        assert lost.exit_code == 1
        said = f"not delivered: SMTP 127.0.0.1:{server.port} closed the connection"
        assert f"maria: {said}" in lost.output and f"dev: {said}" in lost.output
        assert "after the whole digest was sent" in lost.output
        assert "the next run sends it again with the same Message-ID" in lost.output
        assert delivered(database) == []  # not recorded: nothing is lost if it never arrived
        server.clear_faults()
        assert leads(config, "digest").exit_code == 0
        assert leads(config, "digest").exit_code == 0  # and a third run sends nothing
        ids = [r.message["Message-ID"] for r in server.messages]
    assert len(ids) == 4 and sorted(ids[:2]) == sorted(ids[2:])  # the resend is recognisable
    assert {row[3] for row in delivered(database)} == set(ids)


def test_a_server_that_stops_answering_costs_one_timeout_and_at_most_one_resend(
    site: Site,
) -> None:
    """Seen: a server that took each digest but answered after the timeout cost a timeout
    per mentor, and every digest was sent again by the next run."""
    folder, base_url, database = site
    with smtp_server() as server:
        delivery = smtp_delivery(server.port).replace("timeout: 5", "timeout: 1")
        config = write_config(folder, base_url, database, delivery)
        server.leave_unanswered(hang_up=False)
        slow = leads(config, "digest")
        assert slow.exit_code == 1
        assert "maria: not delivered: SMTP 127.0.0.1:" in slow.output
        assert "gave no answer within delivery.smtp.timeout (1 s) after the whole" in slow.output
        assert "dev: not delivered: not tried after an earlier digest of this run" in slow.output
        assert [r.recipients for r in server.messages] == [("maria@example.org",)]
        assert server.connections == 1
        assert delivered(database) == []
        server.clear_faults()
        assert leads(config, "digest").exit_code == 0
        recipients = [r.recipients[0] for r in server.messages]
    assert sorted(recipients) == ["dev@example.org", "maria@example.org", "maria@example.org"]
    assert {row[0] for row in delivered(database)} == {"maria", "dev"}


@pytest.mark.parametrize("missing", ["starttls", "login"])
def test_a_server_wanting_starttls_or_a_login_names_those_settings_once(missing: str) -> None:
    """Seen: "refused the sender (530 Must issue a STARTTLS command first) — check
    delivery.smtp.from; sending it again will not help", once for every mentor."""
    no_login = {"username": None, "password": None}
    wrong = {"security": "none", **no_login} if missing == "starttls" else no_login
    with smtp_server(tls="starttls", auth=True) as server:
        sender = SmtpSender(server.settings(**wrong), ssl_context=server.client_context)
        with sender:
            with pytest.raises(DeliveryError, match="530") as first:
                sender.send(render_digest(make_digest()))
            with pytest.raises(DeliveryError) as second:
                sender.send(render_digest(make_digest(mentees=1)))
        assert server.messages == [] and server.connections == 1
    assert "delivery.smtp.security" in str(first.value)
    assert "delivery.smtp.from" not in str(first.value)
    assert not first.value.permanent  # the leads go out once the settings are fixed
    assert str(second.value).startswith("not tried after an earlier digest of this run")


def test_an_implicit_tls_server_asked_for_starttls_points_at_security_ssl() -> None:
    with smtp_server(tls="ssl") as server:
        settings = server.settings(security="starttls", timeout=0.3)
        sender = SmtpSender(settings, ssl_context=server.client_context)
        with sender, pytest.raises(DeliveryError, match="no answer in time") as caught:
            sender.send(render_digest(make_digest()))
    assert "needs security: ssl" in str(caught.value)


def test_an_outbox_that_is_a_file_is_named_as_such(site: Site) -> None:
    folder, base_url, database = site
    (folder / "outbox").write_text("a file where the outbox folder should be")
    result = leads(write_config(folder, base_url, database), "digest")
    assert result.exit_code == 1
    said = f"not delivered: delivery.outbox {folder / 'outbox'} is a file, not a folder"
    assert f"maria: {said}" in result.output and f"dev: {said}" in result.output
    assert delivered(database) == []
