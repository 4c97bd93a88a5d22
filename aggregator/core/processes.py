"""Whether a process of this host still runs: a killed run's workers end with it, and its
leases and job starts are not waited out."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, as another user
        return True
    return True
