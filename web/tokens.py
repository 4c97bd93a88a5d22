"""Private links: long random-looking tokens derived from a secret key, kept only as hashes.

A token is HMAC-SHA256(key, "kind:subject:generation"), 256 bits in URL-safe base64. The
database stores its SHA-256 and the generation, never the token: someone holding a copy of
the database cannot open anyone's page, while `leads links` can print the same link again
from the key. Rotating bumps the generation, so the old token no longer hashes to a stored
row. The key lives in a file of its own (``web.secret_file``), readable by its owner only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import string
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from aggregator.core.errors import ConfigError

KEY_BYTES = 32
TOKEN_CHARS = 43  # 256 bits in unpadded base64url
_TOKEN_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")


class Holder(StrEnum):
    """Who a private link belongs to."""

    MENTEE = "mentee"
    MENTOR = "mentor"


@dataclass(frozen=True, slots=True)
class Keyring:
    """The secret key behind every private link and form token."""

    key: bytes

    def token(self, holder: Holder, subject: str, generation: int) -> str:
        """The private token of ``subject``'s link in its ``generation``."""
        return _b64(self._mac(f"link:{holder.value}:{subject}:{generation}"))

    def csrf(self, token_hash: str) -> str:
        """The form token of pages reached through the link whose hash is ``token_hash``."""
        return _b64(self._mac(f"csrf:{token_hash}"))

    def csrf_matches(self, token_hash: str, presented: str) -> bool:
        """Whether a submitted form token is the right one (compared in constant time)."""
        return hmac.compare_digest(self.csrf(token_hash).encode(), presented.encode())

    def _mac(self, message: str) -> bytes:
        return hmac.new(self.key, message.encode(), hashlib.sha256).digest()


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex (the token has 256 bits of entropy,
    so a fast hash is enough: there is nothing to guess from)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has a token's shape (anything else is not looked up at all)."""
    return len(text) == TOKEN_CHARS and all(c in _TOKEN_ALPHABET for c in text)


def load_keyring(path: Path) -> Keyring:
    """The key in ``path``, created (owner-only) on first use."""
    try:
        return Keyring(bytes.fromhex(path.read_text(encoding="ascii").strip()))
    except FileNotFoundError:
        return _create_keyring(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the web key {path}: {exc}",
            key="web.secret_file",
            fix="point web.secret_file at a readable file, or delete it to make a new key "
            "(every private link then changes: run `leads links` again)",
        ) from exc


def _create_keyring(path: Path) -> Keyring:
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(key.hex() + "\n")
    except FileExistsError:  # another process made it first: use theirs
        return load_keyring(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the web key {path}: {exc.strerror or exc}",
            key="web.secret_file",
            fix="make its folder writable or point web.secret_file elsewhere",
        ) from exc
    return Keyring(key)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
