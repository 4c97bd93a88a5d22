"""The store's share of the web view on real SQLite: statuses as events, private links kept
only as hashes, and the migration that gives earlier verdicts a status."""

from __future__ import annotations

from pathlib import Path

from digestkit import NOW
from sqlalchemy import text
from webkit import seeded

from aggregator.core.models import LeadStatus, Verdict
from aggregator.store import SCHEMA_VERSION, Store


def test_verdicts_given_before_the_web_view_become_statuses(tmp_path: Path) -> None:
    config, store = seeded(tmp_path)
    lead = next(store.lead_postings()).lead_id
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    with store.engine.begin() as conn:  # back to schema 4: verdicts, no statuses
        conn.execute(text("DROP TABLE lead_statuses"))
        conn.execute(text("DROP TABLE access_links"))
        conn.execute(text("UPDATE schema_version SET version = 4"))
    store.close()
    store = Store(config.database_url)
    assert SCHEMA_VERSION == 5
    assert store.lead_statuses() == {"sam-lee": {lead: LeadStatus.APPLIED}}
    assert store.link_holder("0" * 64) is None
    store.close()


def test_the_latest_status_counts_and_undo_forgets_the_verdict(tmp_path: Path) -> None:
    _, store = seeded(tmp_path)
    lead = next(store.lead_postings()).lead_id
    store.record_feedback("sam-lee", lead, Verdict.APPLIED, NOW)
    store.record_status("sam-lee", lead, LeadStatus.OFFER, NOW)
    assert store.lead_statuses(["sam-lee"]) == {"sam-lee": {lead: LeadStatus.OFFER}}
    assert store.lead_statuses(["alex-kim"]) == {}
    store.record_status("sam-lee", lead, None, NOW)
    assert store.lead_statuses() == {}
    assert store.feedback() == {}
    store.close()


def test_a_new_link_replaces_the_old_one(tmp_path: Path) -> None:
    _, store = seeded(tmp_path)
    store.save_link("mentee", "sam-lee", 1, "a" * 64, NOW)
    assert store.link_holder("a" * 64) == ("mentee", "sam-lee")
    assert store.link_generation("mentee", "sam-lee") == 1
    store.save_link("mentee", "sam-lee", 2, "b" * 64, NOW)
    assert store.link_holder("a" * 64) is None
    assert store.link_holder("b" * 64) == ("mentee", "sam-lee")
    assert store.link_generation("mentor", "sam-lee") is None
    store.close()
