"""``leads …``: the command-line interface, the only part of mentor-leads that prints.

Each command group lives in its own module and registers its commands on the shared ``app``
(``_common``) when imported. This package imports them only when asked: ``main`` the group of
the command given (every group for help or a name it does not know), the ``app`` attribute
all of them. That keeps two things light: a cron ``leads collect`` loads no other group, and
the collector's worker processes, which import the ``leads`` script (so this package) as
their ``__main__``, load no CLI at all.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typer import Typer

GROUPS = (
    "collect", "database", "demo", "digest", "events", "matching", "prep", "run", "setup", "web",
)  # fmt: skip
# The group of each command (tests/test_cli.py checks it against what the groups register).
COMMAND_GROUPS = {
    "collect": "collect", "sources": "collect", "postings": "collect",
    "migrate": "database", "export": "database", "import": "database",
    "demo": "demo",
    "digest": "digest",
    "events": "events",
    "match": "matching", "matches": "matching", "rank": "matching", "feedback": "matching",
    "prep": "prep",
    "run": "run", "schedule": "run", "cron": "run",
    "check": "setup", "init": "setup", "add-source": "setup",
    "serve": "web", "links": "web",
}  # fmt: skip

__all__ = ["COMMAND_GROUPS", "GROUPS", "app", "main", *GROUPS]


def main() -> None:
    """Entry point of the ``leads`` console script."""
    # Importing makes objects by the hundred thousand and next to no garbage: the collector's
    # scans of them, run after run as they pile up, were 5 % of a cron run that finds nothing.
    gc.disable()
    skip_httpx_command_line()
    skip_pydantic_plugins()
    from aggregator.cli._common import command_name

    command = command_name(sys.argv[1:])
    app = with_groups([COMMAND_GROUPS[command]] if command in COMMAND_GROUPS else GROUPS)
    # What is imported by now lives as long as the process: keep it out of the collector's
    # scans, which also spares the full collection at exit (a fifth of a second of a cron
    # run that finds nothing new).
    gc.freeze()
    gc.enable()
    app()


def skip_httpx_command_line() -> None:
    """Keep httpx from importing its own command-line client (``httpx._main``: click,
    pygments, rich's syntax and progress modules), which it loads whenever those are
    installed, as uvicorn's and rich's dependencies make them here: two fifths of the cost
    of importing httpx. A None entry makes that import fail, and httpx then
    defines a ``main`` that only explains the missing dependencies; nothing here calls it."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: unimportable


def skip_pydantic_plugins() -> None:
    """Tell pydantic that no plugin watches its models, unless PYDANTIC_DISABLE_PLUGINS says
    otherwise: looking for plugins reads the metadata of every installed distribution when
    the first model is made (some 5 ms, half a percent of a cron `leads collect` that finds
    nothing new), and mentor-leads uses pydantic only to check its own configuration."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def with_groups(groups: tuple[str, ...] | list[str]) -> Typer:
    """The ``leads`` app with the commands of ``groups`` (and of any group imported before)."""
    for group in groups:
        importlib.import_module(f"{__name__}.{group}")
    from aggregator.cli._common import app

    return app


def __getattr__(name: str) -> Typer | ModuleType:
    """``app`` with every command, or a command group's module, imported on first use."""
    if name == "app":
        return with_groups(GROUPS)
    if name in GROUPS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
