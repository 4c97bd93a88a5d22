"""Handing digests over: a folder of .eml files (the default) or an SMTP server.

``send`` returning normally is the promise the pipeline records delivery on: the file is
fsynced (outbox) or the server answered 250 after DATA (SMTP). Everything else raises
``DeliveryError``; ``permanent`` is True only when the server refused *this* message for
good (a 5xx for the recipient, the sender or the content), so the caller goes on with the
other mentors either way.

A failure to open the SMTP session (connection, TLS or login) is remembered: every later
``send`` of the same sender fails at once with the same message, so a run with a wrong
password makes one failed login, not one per mentor (servers lock accounts out for less),
and an unreachable server costs one timeout, not one per mentor. So is a server that stops
answering mid-run (each further digest would cost a timeout, and perhaps a duplicate) or
that wants STARTTLS or a login the settings do not give (it refuses every digest alike).
Such a failure is not permanent: the leads stay pending and go out on the first run after
the settings are fixed.

When the connection fails after the whole message was sent but before the server answered
(it closed, or said nothing within the timeout), SMTP cannot tell whether the message went
out. The error says so: the leads stay pending, and the next run sends the digest again with
the same Message-ID, which its recipient may then get twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
from contextlib import suppress
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from aggregator.core.config import DeliveryConfig, SmtpConfig
from aggregator.core.errors import ConfigError, DeliveryError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_SECURITY_LABELS = {"starttls": "STARTTLS", "ssl": "SSL", "none": "unencrypted"}
PENDING = "the leads stay pending and go out on the next run"
_NOT_AGAIN = "no further digest is sent through this server in this run"
_UNANSWERED = "after the whole digest was sent, before accepting the message or refusing it"
_MAYBE_TWICE = (
    "it may have been delivered all the same: the next run sends it again with the same "
    "Message-ID, so its recipient may get it twice"
)
# RFC 3207 and RFC 4954: "530 Must issue a STARTTLS command first", "530 5.7.0 Authentication
# required" (answered to MAIL, for every message alike).
_NEEDS_TLS_OR_LOGIN = 530

# Why a session could not be opened, most specific first: (error type, what happened, fix).
_SESSION_FAILURES: tuple[tuple[type[OSError], str, str], ...] = (
    (
        smtplib.SMTPAuthenticationError,
        "login refused",
        "check delivery.smtp.username and delivery.smtp.password",
    ),
    (
        smtplib.SMTPNotSupportedError,
        "the server lacks an extension these settings need",
        "check delivery.smtp.security (STARTTLS must be offered; many servers offer AUTH "
        "only after STARTTLS)",
    ),
    (
        ssl.SSLCertVerificationError,
        "the server's TLS certificate was not accepted",
        "check that delivery.smtp.host is the name on the server's certificate",
    ),
    (
        ssl.SSLError,
        "TLS failed",
        "use security: ssl for port 465 and security: starttls for port 587",
    ),
    (socket.gaierror, "host name not found", "check delivery.smtp.host"),
    (
        TimeoutError,
        "no answer in time",
        # A server that starts with TLS waits for our handshake while we wait for its greeting.
        "check delivery.smtp.host and port (a server that starts with TLS, usually on port "
        "465, needs security: ssl), or raise delivery.smtp.timeout",
    ),
    (
        ConnectionRefusedError,
        "connection refused",
        "check delivery.smtp.host and port, and that the server is running",
    ),
    (OSError, "cannot connect", "check the delivery.smtp settings and the network"),
)


class Sender(Protocol):
    """Where digests go; one sender serves a whole run, then is closed."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; returning means it is durable or accepted by the server."""
        ...

    def close(self) -> None:
        """Release what the sender holds (the SMTP connection)."""
        ...

    def describe(self) -> str:
        """Where messages go, in one line for the CLI."""
        ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class OutboxSender(Sender):
    """Writes each digest as an .eml file in a folder: one file per Message-ID, never half."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def describe(self) -> str:
        """``outbox /path/to/outbox``."""
        return f"outbox {self.directory}"

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` atomically and durably; an earlier copy of it is replaced."""
        name = outbox_filename(message)
        self._make_folder()
        path = self.directory / name
        try:
            path = _earlier_copy(self.directory, name) or path
            _write_atomically(path, flatten(message, linesep="\n"))
        except OSError as exc:
            raise DeliveryError(
                f"cannot write the digest to {path}: {exc.strerror or exc} — make "
                f"delivery.outbox a writable folder with free space; {PENDING}"
            ) from exc
        log.info("digest %s written to %s", message["Message-ID"], path)

    def close(self) -> None:
        """Nothing to release: every file is complete when ``send`` returns."""

    def _make_folder(self) -> None:
        """Create the outbox; an error names it, not a file that was never begun in it."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = (
                "is a file, not a folder"
                if self.directory.is_file()
                else f"cannot be made ({exc.strerror or exc})"
            )
            raise DeliveryError(
                f"delivery.outbox {self.directory} {problem} — make delivery.outbox a "
                f"writable folder; {PENDING}"
            ) from exc


def outbox_filename(message: EmailMessage) -> str:
    """``20261123T070000Z-ana-1a2b3c4d5e6f.eml``: UTC date, To's local part, Message-ID hash.

    The date makes the folder sort by time; the hash makes the name unique per Message-ID,
    so sending the same message again replaces its file instead of adding a second one.
    """
    message_id, date = message["Message-ID"], message["Date"]
    if not message_id or not date:
        raise DeliveryError(
            "the digest has no Message-ID or no Date header, so it cannot be filed — "
            "this is a bug in rendering; please report it",
            permanent=True,
        )
    try:
        sent = parsedate_to_datetime(str(date))
    except (TypeError, ValueError) as exc:
        raise DeliveryError(
            f"the digest's Date header {str(date)!r} is not a date — this is a bug in "
            "rendering; please report it",
            permanent=True,
        ) from exc
    stamp = _as_utc(sent).strftime("%Y%m%dT%H%M%SZ")
    addressee = parseaddr(str(message["To"] or ""))[1].partition("@")[0]
    who = _UNSAFE_IN_FILENAME.sub("-", addressee).strip(".-")[:40] or "digest"
    return f"{stamp}-{who}-{_id_hash(str(message_id))}.eml"


def _as_utc(moment: datetime) -> datetime:
    """A Date of ``-0000`` parses naive; RFC 5322 says it is UTC anyway."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _id_hash(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:12]


def _earlier_copy(directory: Path, name: str) -> Path | None:
    """The file of an earlier send of the same Message-ID (a resend after a crash)."""
    suffix = name.rsplit("-", 1)[1]
    return next(iter(sorted(directory.glob(f"*-{suffix}"))), None)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so a crash never leaves half a file.

    The data and then the folder entry are fsynced: after a power cut the file is there, whole.
    The file is private to the user (mode 0600): digests name mentees.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


_TRANSFER_READY = frozenset({"quoted-printable", "base64", "7bit"})


def flatten(message: EmailMessage, linesep: str = "\r\n") -> bytes:
    """The message as bytes, equal to ``message.as_bytes(policy=...linesep)``, but without
    the stdlib generator's line-by-line pass over bodies that are already 7-bit text (the
    digests are: quoted-printable), which cost more than composing a digest.

    The generator still writes every header and MIME boundary: each body is swapped for a
    one-line stand-in first and put back, with its line ends, into the bytes it wrote.
    """
    policy = message.policy.clone(linesep=linesep)
    leaves = [part for part in message.walk() if not part.is_multipart()]
    bodies = [body for part in leaves if isinstance(body := part.get_payload(), str)]
    ready = len(bodies) == len(leaves) and all(
        _transfer_ready(part, body) for part, body in zip(leaves, bodies, strict=True)
    )
    if not ready:
        return message.as_bytes(policy=policy)
    marks = [f"=_body_{n}_{os.urandom(8).hex()}=" for n in range(len(leaves))]
    for part, mark in zip(leaves, marks, strict=True):
        part.set_payload(mark)
    try:
        flat = message.as_bytes(policy=policy)
    finally:
        for part, body in zip(leaves, bodies, strict=True):
            part.set_payload(body)
    for mark, body in zip(marks, bodies, strict=True):
        flat = flat.replace(mark.encode(), body.replace("\n", linesep).encode("ascii"), 1)
    return flat


def _transfer_ready(part: EmailMessage, body: str) -> bool:
    """A body the generator would write out unchanged, line by line."""
    encoding = str(part.get("Content-Transfer-Encoding", "")).lower()
    return (
        encoding in _TRANSFER_READY
        and body.isascii()
        and "\r" not in body
        and not body.startswith("From ")
        and "\nFrom " not in body
    )


class SmtpSender(Sender):
    """Sends digests through one SMTP connection, opened on the first message of the run."""

    def __init__(self, settings: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._ssl_context = ssl_context
        self._envelope_from = parseaddr(settings.from_)[1] or settings.from_
        self._connection: _Connection | None = None
        self._session_failure: str | None = None

    @property
    def _server(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def describe(self) -> str:
        """``SMTP smtp.example.org:587 (STARTTLS)``."""
        return f"SMTP {self._server} ({_SECURITY_LABELS[self.settings.security]})"

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its To addresses; returns once the server has accepted it."""
        recipients = _recipients(message)
        connection = self._connection_for_next_message()
        try:
            if all(address.isascii() for address in recipients):
                data = flatten(message)
                refused = connection.sendmail(self._envelope_from, recipients, data)
            else:  # send_message knows when SMTPUTF8 is needed
                refused = connection.send_message(message, self._envelope_from, recipients)
        except OSError as exc:  # smtplib's errors are OSErrors too
            # A broken connection is closed by smtplib itself; the next send reconnects,
            # unless every further digest would meet the same failure.
            if _ends_session(exc):
                earlier = self._refusal(exc, unanswered=False)
                self._session_failure = f"not tried after an earlier digest of this run: {earlier}"
            raise self._refusal(exc, unanswered=connection.unanswered) from exc
        message_id = message["Message-ID"]
        if refused:
            # The others have the message, so it counts as sent: retrying would send it twice.
            log.warning("%s refused some recipients of %s: %s", self._server, message_id, refused)
        log.info("digest %s accepted by %s for %s", message_id, self._server, recipients)

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._quit(connection)

    def verify(self) -> None:
        """Connect, secure and log in as a run would, then QUIT without sending anything.

        DeliveryError says which step failed and what to change (for `leads check`).
        """
        try:
            connection = self._open()
        except OSError as exc:
            raise DeliveryError(self._describe_session_failure(exc)) from exc
        self._quit(connection)

    def _quit(self, connection: smtplib.SMTP) -> None:
        try:
            connection.quit()
        except OSError as exc:  # nothing waits on the connection; only politeness is lost
            log.debug("QUIT to %s failed: %s", self._server, exc)
            connection.close()

    def _connection_for_next_message(self) -> _Connection:
        """The run's connection; reopened once if the server closed it while it sat idle."""
        if self._session_failure is not None:
            raise DeliveryError(self._session_failure)
        if self._connection is not None:
            if _still_open(self._connection):
                return self._connection
            log.info("the connection to %s was closed; reconnecting", self._server)
            self._connection.close()
            self._connection = None
        try:
            self._connection = self._open()
        except OSError as exc:
            failure = self._describe_session_failure(exc)
            self._session_failure = f"{failure}; {_NOT_AGAIN}, {PENDING}"
            raise DeliveryError(self._session_failure) from exc
        return self._connection

    def _open(self) -> _Connection:
        """Connect, secure and log in as the settings say."""
        settings = self.settings
        context = self._ssl_context or ssl.create_default_context()
        log.debug("connecting to %s (%s)", self._server, settings.security)
        # smtplib checks the certificate against the host given to the constructor (not to
        # connect()), so the constructor connects.
        where, timeout = (settings.host, settings.port), settings.timeout
        connection = (
            _SslConnection(*where, timeout=timeout, context=context)
            if settings.security == "ssl"
            else _Connection(*where, timeout=timeout)
        )
        try:
            if settings.security == "starttls":
                connection.starttls(context=context)
            if settings.username:
                connection.login(settings.username, settings.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _describe_session_failure(self, exc: OSError) -> str:
        exc = _network_error(exc)
        what, fix = next((w, f) for kind, w, f in _SESSION_FAILURES if isinstance(exc, kind))
        return f"SMTP {self._server}: {what} ({_reason(exc)}) — {fix}"

    def _refusal(self, exc: OSError, *, unanswered: bool) -> DeliveryError:
        """The error for a message the server did not accept (the session was opened);
        ``unanswered``: the whole message was sent, the server's answer never came."""
        permanent = False
        fix = "ask the server's administrator if it persists"
        then = PENDING
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            what = "refused the recipient"
            replies = exc.recipients.items()
            reason = "; ".join(f"{rcpt}: {_reply(code, text)}" for rcpt, (code, text) in replies)
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            # A 4xx ("450 mailbox busy") is the mailbox's state, not a wrong address.
            fix = ("check the mentor's email address" if permanent
                   else "it is tried again next run; ask the server's administrator if it persists")
        elif _ends_session(exc) and isinstance(exc, smtplib.SMTPResponseException):
            what, reason = "wants STARTTLS or a login before it takes mail", _reason(exc)
            fix = ("set delivery.smtp.security: starttls, and delivery.smtp.username and "
                   "password if the server has accounts")
        elif isinstance(exc, smtplib.SMTPResponseException):
            refused_sender = isinstance(exc, smtplib.SMTPSenderRefused)
            what = "refused the sender" if refused_sender else "refused the message"
            reason = _reason(exc)
            permanent = exc.smtp_code >= 500
            fix = "check delivery.smtp.from" if refused_sender else fix
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            what, reason, permanent = "cannot carry the message", str(exc), True
        else:
            what, reason, fix, then = self._lost(exc, unanswered)
        if permanent:
            then = "sending it again will not help until that is fixed"
        if _ends_session(exc):
            then = f"{then}; {_NOT_AGAIN}"
        return DeliveryError(
            f"SMTP {self._server} {what} ({reason}) — {fix}; {then}", permanent=permanent
        )

    def _lost(self, exc: OSError, unanswered: bool) -> tuple[str, str, str, str]:
        """(what happened, reason, fix, what then) for a connection that closed or went
        silent in the middle of a message."""
        error = _network_error(exc)
        reason = _reason(error)
        if isinstance(error, TimeoutError):
            limit = f"delivery.smtp.timeout ({self.settings.timeout:g} s)"
            what = f"gave no answer within {limit}"
            fix = "raise delivery.smtp.timeout if the server is this slow, or ask its administrator"
        else:
            what, fix = "closed the connection", "ask the server's administrator if it persists"
        if unanswered:
            return f"{what} {_UNANSWERED}", reason, fix, _MAYBE_TWICE
        return f"{what} before accepting the message", reason, fix, PENDING


_START_MAIL_INPUT = 354  # the answer to DATA that asks for the message


class _Connection(smtplib.SMTP):
    """smtplib.SMTP that knows when a whole message is out and the server's answer is not in:
    a connection lost then leaves it unknown whether the message was accepted."""

    unanswered = False

    def send(self, s: ReadableBuffer | str) -> None:
        """Send ``s``; smtplib sends a whole message, ending in CRLF "." CRLF, in one call."""
        self.unanswered = False
        super().send(s)
        self.unanswered = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """smtplib's DATA, with each line that starts with "." doubled by bytes.replace
        rather than smtplib's regular expression, which held the GIL 3 ms over a 100-lead
        digest (800 KB) and so stalled the thread composing the next one."""
        if not isinstance(msg, bytes):
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != _START_MAIL_INPUT:
            raise smtplib.SMTPDataError(code, reply)
        stuffed = dot_stuffed(msg)
        self.send(stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        return self.getreply()


def dot_stuffed(data: bytes) -> bytes:
    """``data`` with a "." added before every line that starts with one (RFC 5321 4.5.2),
    as smtplib's ``re.sub(rb"(?m)^\\.", b"..", data)`` gives it."""
    stuffed = data.replace(b"\n.", b"\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


class _SslConnection(_Connection, smtplib.SMTP_SSL):
    """The same over implicit TLS."""


def _recipients(message: EmailMessage) -> list[str]:
    """The bare addresses of the To header: the envelope recipients."""
    addresses = [address for _, address in getaddresses(message.get_all("To", [])) if address]
    if not addresses:
        raise DeliveryError(
            "the digest has no To address — check the mentor's email in the configuration",
            permanent=True,
        )
    return addresses


def _ends_session(exc: OSError) -> bool:
    """A failure every further message of the run would meet too: a server that wants
    STARTTLS or a login, or one that let delivery.smtp.timeout pass without a word."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == _NEEDS_TLS_OR_LOGIN
    return isinstance(_network_error(exc), TimeoutError)


def _network_error(exc: OSError) -> OSError:
    """smtplib reports a timeout or reset on the wire as a disconnect: the error it hides."""
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, OSError):
        return exc.__context__
    return exc


def _still_open(connection: smtplib.SMTP) -> bool:
    """True when the server still answers; servers drop idle clients (often after a 421)."""
    try:
        code, _ = connection.noop()
    except OSError:
        return False
    return code == 250


def _reason(exc: OSError) -> str:
    """The server's reply code and text, or the network error."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def open_sender(
    delivery: DeliveryConfig, outbox_dir: Path, *, ssl_context: ssl.SSLContext | None = None
) -> Sender:
    """The sender ``delivery.method`` asks for; nothing is opened until the first ``send``."""
    if delivery.method == "file":
        return OutboxSender(outbox_dir)
    if delivery.smtp is None:
        raise ConfigError(
            "method is smtp but there is no `smtp:` section",
            key="delivery.smtp",
            fix="add delivery.smtp with at least `host` and `from`, or use method: file",
        )
    return SmtpSender(delivery.smtp, ssl_context=ssl_context)
