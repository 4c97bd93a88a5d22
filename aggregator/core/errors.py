"""The one exception family of mentor-leads.

    LeadsError                  anything the project raises on purpose
    ├── ConfigError             the configuration cannot be used (exit code 2)
    ├── UsageError              a command was given something that names nothing (exit code 2)
    ├── SourceError             one source could not be collected this run
    │   ├── FetchError          network or HTTP trouble (timeout, 4xx/5xx, too large, redirects)
    │   └── FeedFormatError     the body is not what the source expects (bad XML, HTML, empty)
    ├── StoreError              the database cannot be opened or migrated
    ├── DeliveryError           a digest could not be handed over (SMTP or outbox)
    └── RunLockedError          another run holds the lock

Every message says what went wrong *and* what to do next, because the person reading
it is usually looking at a cron mail, not at the code.
"""

from __future__ import annotations


class LeadsError(Exception):
    """Base class of every error mentor-leads raises on purpose."""


class ConfigError(LeadsError):
    """The configuration file (or a file it points to) cannot be used."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.line = line
        self.fix = fix
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.file or "configuration"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"
        if self.fix:
            text += f" — {self.fix}"
        return text


class UsageError(LeadsError):
    """A command-line value names nothing: an unknown lead or mentor id, a date that is none."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.reason = message
        self.fix = fix
        super().__init__(f"{message} — {fix}" if fix else message)


class SourceError(LeadsError):
    """One source failed this run; the others go on."""


class FetchError(SourceError):
    """The source's URL could not be fetched (network, HTTP status, size or redirect limits)."""


class FeedFormatError(SourceError):
    """The fetched body is not a feed or response of the expected shape."""


class StoreError(LeadsError):
    """The database cannot be opened, migrated or written."""


class DeliveryError(LeadsError):
    """A digest could not be delivered; its leads stay pending.

    ``permanent`` is True when retrying the same message cannot help (a 5xx for the
    recipient); a temporary failure (server down, 4xx, disconnect) is retried next run.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(message)


class NotFoundError(LeadsError):
    """A command names a lead (or another stored thing) the store does not hold."""


class RunLockedError(LeadsError):
    """Another run holds the lock on this store."""
