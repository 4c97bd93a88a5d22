"""Personal data stays private: the database, its lock, logs and digest previews are created
0600 in 0700 folders, a symlinked lock is refused rather than truncating its target, and a
mentor id cannot steer a preview outside its folder. Real files, a real SQLite store."""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from aggregator.core.config import AppConfig
from aggregator.core.errors import StoreError
from aggregator.core.private_files import (
    PrivateRotatingFileHandler,
    make_private_folder,
    safe_file_name,
)
from aggregator.stages.digest import write_preview
from aggregator.store import Store
from aggregator.store.locking import lock_path, run_lock

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems have (022): without the fix, new files would be 0644."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def config_for(folder: Path) -> AppConfig:
    return AppConfig.model_validate(
        {"path": folder / "config.yaml", "storage": {"url": "sqlite:///data/leads.db"}}
    )


def test_a_new_database_and_its_wal_are_private(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'data' / 'leads.db'}")
    with store.engine.begin() as conn:  # a write, so the -wal file exists
        conn.execute(text("INSERT INTO digest_runs VALUES ('maria', '2026-11-01', NULL)"))
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "leads.db") == 0o600
    assert mode(tmp_path / "data" / "leads.db-wal") == 0o600
    store.close()


def test_an_existing_database_keeps_its_owners_mode(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    Store(f"sqlite:///{path}").close()
    path.chmod(0o640)  # the owner's choice, e.g. for a backup group
    Store(f"sqlite:///{path}").close()
    assert mode(path) == 0o640


def test_the_run_lock_is_private(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    path = lock_path(config)
    with run_lock(config, NOW):
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        assert path.read_text(encoding="utf-8").startswith(f"pid {os.getpid()} since ")


def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    target = tmp_path / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    lock = lock_path(config)
    lock.parent.mkdir()
    lock.symlink_to(target)
    refused = pytest.raises(StoreError, match=r"cannot open the run lock .*symlink; remove it")
    with refused, run_lock(config, NOW):
        pass
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_lock_that_cannot_be_made_names_the_setting_that_placed_it(tmp_path: Path) -> None:
    """Seen: `storage.url: sqlite:////proc/nope/leads.db` said only "cannot open the run lock
    /proc/nope/leads.db.lock … — check its folder", naming no setting."""
    config = config_for(tmp_path)
    (tmp_path / "data").write_text("a file where the database's folder should be")
    said = (
        r"cannot open the run lock .*data/leads\.db\.lock: .* — check storage\.url in "
        rf"{re.escape(str(tmp_path / 'config.yaml'))} \(the lock is kept beside its database\)"
    )
    with pytest.raises(StoreError, match=said), run_lock(config, NOW):
        pass


def preview_message() -> EmailMessage:
    message = EmailMessage()
    message.set_content("Three leads for Amara")
    message.add_alternative("<p>Three leads for Amara</p>", subtype="html")
    return message


@pytest.mark.parametrize("mentor", ["../../x", "/etc/x", "..", "a/../../b", ".hidden"])
def test_a_preview_stays_in_its_folder_whatever_the_mentor_id(tmp_path: Path, mentor: str) -> None:
    folder = tmp_path / "deep" / "preview"
    written = write_preview(preview_message(), folder, mentor)
    assert len(written) == 2
    for path in written:
        assert path.parent == folder and not path.name.startswith(".")
        assert mode(path) == 0o600
    assert mode(folder) == 0o700
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        p.name for p in written
    )


def test_plain_mentor_ids_keep_their_names_and_others_never_collide() -> None:
    assert safe_file_name("maria") == "maria"
    assert safe_file_name("maria.okafor_2-b") == "maria.okafor_2-b"
    cleaned = {safe_file_name(name) for name in ("a/b", "a-b", "a b", "a\\b", "../a-b")}
    assert len(cleaned) == 5
    assert all("/" not in name and not name.startswith(".") for name in cleaned)


def test_a_preview_is_not_written_through_a_symlink(tmp_path: Path) -> None:
    folder = tmp_path / "preview"
    folder.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    (folder / "maria.txt").symlink_to(target)
    with pytest.raises(OSError):
        write_preview(preview_message(), folder, "maria")
    assert target.read_text(encoding="utf-8") == "keep me"


def test_log_files_stay_private_across_rollovers(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    make_private_folder(folder)
    handler = PrivateRotatingFileHandler(
        folder / "leads.log", maxBytes=200, backupCount=2, encoding="utf-8"
    )
    logger = logging.getLogger("test_private_files")
    logger.addHandler(handler)
    try:
        for n in range(20):
            logger.warning("line %d of a log that rolls over every few lines", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["leads.log", "leads.log.1", "leads.log.2"]
    assert {mode(folder / name) for name in names} == {0o600}
    assert mode(folder) == 0o700
