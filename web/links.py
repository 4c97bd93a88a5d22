"""Issuing private links: `leads links`, the digest's "See all of Sam's leads" and the demo."""

from __future__ import annotations

from datetime import datetime

from aggregator.core.config import AppConfig
from aggregator.store import Store
from web.tokens import Holder, Keyring, load_keyring, token_hash

# Where `leads serve` listens by default: the links' base when web.base_url is not set.
LOCAL_BASE_URL = "http://127.0.0.1:8080"
PATHS = {Holder.MENTEE: "/m/", Holder.MENTOR: "/mentor/"}


class Links:
    """Private links of one config's mentees and mentors, created on first use."""

    def __init__(self, config: AppConfig, store: Store, keyring: Keyring | None = None) -> None:
        self.store = store
        self.keyring = keyring or load_keyring(config.web_secret_path)
        self.base_url = config.web_base_url or LOCAL_BASE_URL

    def url(self, holder: Holder, subject: str, now: datetime, *, rotate: bool = False) -> str:
        """The holder's private URL; issued on first use, or anew (revoking the old) on
        ``rotate``."""
        generation = self.store.link_generation(holder.value, subject)
        if generation is None or rotate:
            generation = (generation or 0) + 1
            token = self.keyring.token(holder, subject, generation)
            self.store.save_link(holder.value, subject, generation, token_hash(token), now)
        return f"{self.base_url}{PATHS[holder]}{self.keyring.token(holder, subject, generation)}"
