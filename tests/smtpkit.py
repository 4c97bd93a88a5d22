"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd in a thread, with TLS, AUTH and faults.

    with smtp_server(tls="starttls", auth=True) as server:
        with SmtpSender(server.settings(), ssl_context=server.client_context) as sender:
            sender.send(message)
        assert server.messages[0].message["Subject"] == "…"

``tls`` is "none", "starttls" (STARTTLS required before MAIL) or "ssl" (implicit TLS), with a
certificate for 127.0.0.1 and localhost from a throwaway trustme CA; ``server.client_context``
trusts it. With ``auth=True`` the server knows USERNAME/PASSWORD (the STARTTLS server also
requires a login). Faults are switched on per server: ``reject(...)``, ``drop_during_data()``,
``leave_unanswered(...)`` and ``hang_up_after_each_message(...)`` (``clear_faults()`` ends
them); ``connections`` counts the connections clients made. ``refusing_port()`` and
``silent_port()`` give ports where nothing answers; ``smtp_settings(port, ...)`` builds
``delivery.smtp`` settings for any of these.
"""

from __future__ import annotations

import asyncio
import email.policy
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any, Literal, cast

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from aggregator.core.config import SmtpConfig

HOST = "127.0.0.1"
USERNAME = "digest-bot"
PASSWORD = "correct horse battery staple"
FROM = "Mentor Leads <leads@example.org>"

Tls = Literal["none", "starttls", "ssl"]
Stage = Literal["RCPT", "DATA"]


@dataclass(frozen=True)
class Received:
    """One message the server accepted (answered 250 after DATA, or took and left unanswered:
    see ``SmtpServer.leave_unanswered``)."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    tls: bool  # the connection was encrypted when the message came
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        """The message parsed back, with LF line ends as a mailbox stores it (SMTP uses CRLF)."""
        stored = self.data.replace(b"\r\n", b"\n")
        return cast(EmailMessage, message_from_bytes(stored, policy=email.policy.default))


@dataclass(frozen=True)
class _Rejection:
    stage: Stage
    reply: str
    recipient: str | None  # None: every recipient


@dataclass
class _Recorder:
    """The aiosmtpd handler: records accepted messages and plays the faults switched on."""

    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    rejections: list[_Rejection] = field(default_factory=list)
    drop_during_data: bool = False
    unanswered: Literal["hang up", "say nothing"] | None = None
    hang_up: bool = False
    goodbye: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self._refusal("RCPT", [address])
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._refusal("DATA", envelope.rcpt_tos)
        if refusal:
            return refusal
        transport = server.transport
        assert transport is not None
        if self.drop_during_data:
            # The whole message has arrived but is not accepted: hang up instead of replying.
            # aiosmtpd cancels this handler when the connection is lost, which ends the wait.
            transport.close()
            await asyncio.get_running_loop().create_future()
        self.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                recipients=tuple(envelope.rcpt_tos),
                data=bytes(envelope.original_content or b""),
                tls=transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        if self.unanswered is not None:
            # Taken for delivery, but the 250 never reaches the client. The wait ends when the
            # connection is lost (aiosmtpd cancels this handler): hung up here, or by the client.
            if self.unanswered == "hang up":
                transport.close()
            await asyncio.get_running_loop().create_future()
        if self.hang_up:
            # Runs after the 250 below is written, before the next command is read: the
            # client got its answer, then finds the connection closed, as after an idle timeout.
            asyncio.get_running_loop().call_soon(self._close, transport)
        return "250 OK"

    def _refusal(self, stage: Stage, recipients: Sequence[str]) -> str | None:
        for rejection in self.rejections:
            if rejection.stage == stage and (
                rejection.recipient is None or rejection.recipient in recipients
            ):
                return rejection.reply
        return None

    def _close(self, transport: asyncio.BaseTransport) -> None:
        if self.goodbye is not None:
            cast(asyncio.WriteTransport, transport).write(f"{self.goodbye}\r\n".encode())
        transport.close()


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    known = LoginPassword(USERNAME.encode(), PASSWORD.encode())
    return AuthResult(success=auth_data == known, handled=False)  # handled=False: aiosmtpd says 535


class FreePortController(Controller):
    """aiosmtpd's Controller given port 0: on a free port, which ``port`` then tells."""

    def _trigger_server(self) -> None:
        # Port 0 lets the OS pick a free port; aiosmtpd's start-up probe needs the real one.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Controller(FreePortController):
    """A free-port Controller counting the connections made to it."""

    def factory(self) -> SMTP:
        self.handler.connections += 1
        return cast(SMTP, super().factory())


@dataclass
class SmtpServer:
    """A running test server: where it is, what it received, and its fault switches."""

    port: int
    tls: Tls
    auth: bool
    client_context: ssl.SSLContext | None  # trusts the server's certificate (None: no TLS)
    _recorder: _Recorder

    @property
    def messages(self) -> list[Received]:
        """The messages accepted so far, in order."""
        return self._recorder.messages

    @property
    def connections(self) -> int:
        """How many connections clients have opened."""
        return self._recorder.connections

    def settings(self, **overrides: Any) -> SmtpConfig:
        """``delivery.smtp`` settings that reach this server (and log in when it has AUTH)."""
        login = {"username": USERNAME, "password": PASSWORD} if self.auth else {}
        return smtp_settings(self.port, **{"security": self.tls, **login, **overrides})

    def reject(self, reply: str, *, at: Stage = "RCPT", recipient: str | None = None) -> None:
        """Answer ``reply`` (e.g. "550 5.1.1 mailbox unavailable") at RCPT or at end of DATA."""
        self._recorder.rejections.append(_Rejection(at, reply, recipient))

    def drop_during_data(self) -> None:
        """Close the connection once a message's data is in, without accepting it."""
        self._recorder.drop_during_data = True

    def leave_unanswered(self, *, hang_up: bool) -> None:
        """Take each message for delivery (it is in ``messages``), then never answer: hang up,
        or say nothing until the client gives up (the classic "did it send?")."""
        self._recorder.unanswered = "hang up" if hang_up else "say nothing"

    def hang_up_after_each_message(self, goodbye: str | None = None) -> None:
        """Close the connection right after accepting a message, saying ``goodbye`` first."""
        self._recorder.hang_up = True
        self._recorder.goodbye = goodbye

    def clear_faults(self) -> None:
        """Behave normally from now on."""
        recorder = self._recorder
        recorder.rejections.clear()
        recorder.drop_during_data = recorder.hang_up = False
        recorder.unanswered = recorder.goodbye = None


def smtp_settings(port: int, **overrides: Any) -> SmtpConfig:
    """``delivery.smtp`` settings for a plain server on ``port`` of 127.0.0.1."""
    values = {"host": HOST, "port": port, "security": "none", "from": FROM, "timeout": 5}
    return SmtpConfig.model_validate({**values, **overrides})


def _tls_settings(tls: Tls, ca: trustme.CA) -> tuple[dict[str, Any], ssl.SSLContext | None]:
    """The Controller arguments for ``tls`` and a client context that trusts the server."""
    if tls == "none":
        return {}, None
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(HOST, "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    if tls == "ssl":
        return {"ssl_context": server_context}, client_context
    return {"tls_context": server_context, "require_starttls": True}, client_context


def _auth_settings(tls: Tls, auth: bool) -> dict[str, Any]:
    if not auth:
        return {}
    # aiosmtpd counts only STARTTLS as TLS (it would hide AUTH on implicit TLS) and warns (an
    # error under -W error) when AUTH is required without it, so only the STARTTLS server
    # insists on a login; tests check Received.authenticated for the others.
    starttls = tls == "starttls"
    return {"authenticator": _authenticate, "auth_require_tls": starttls, "auth_required": starttls}


@contextmanager
def smtp_server(*, tls: Tls = "none", auth: bool = False) -> Iterator[SmtpServer]:
    """Run an SMTP server on a free port of 127.0.0.1 for the duration of the block."""
    recorder = _Recorder()
    tls_kwargs, client_context = _tls_settings(tls, trustme.CA())
    controller = _Controller(
        recorder,
        hostname=HOST,
        port=0,
        server_hostname="localhost",
        **tls_kwargs,
        **_auth_settings(tls, auth),
    )
    controller.start()
    recorder.connections = 0  # the Controller's own start-up probe is not a client
    try:
        yield SmtpServer(controller.port, tls, auth, client_context, recorder)
    finally:
        controller.stop()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port of 127.0.0.1 where connections are refused (bound, so nobody else takes it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    """A port of 127.0.0.1 that accepts connections but never says a word."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen()
        yield sock.getsockname()[1]
