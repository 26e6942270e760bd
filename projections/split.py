"""A long catch-up on PostgreSQL in two processes: the read models named in ``OFFLOADED`` follow the log in a
second Python process (``python -m projections.split``) while this one applies the others, so that two cores
decode and apply instead of one (the projector is CPU-bound in Python: one process keeps one core busy).

Each process reads the log itself, from the position of its own read models, and writes its read models'
rows and tracking positions in its own transactions, exactly as one projector does: a crash in either
leaves every read model at a committed batch, and the next run resumes each from its own position. Only for
``SPLIT_FROM_EVENTS`` events or more (the second process costs ~0.3 s to start) and when the events table can
be read directly (PostgreSQL); SQLite stays in one process (its writes are serialised anyway)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from projections.base import Projection

if TYPE_CHECKING:
    from projections.follower import Follower

SPLIT_FROM_EVENTS = 20_000
# the read models of the second process: the audit timeline (its JSON texts and its rows cost the most per event)
# and the facts, so that the two processes have about the same work (CPU and waits on the database)
OFFLOADED = ("audit_timeline", "facts")


def plan(follower: Follower, head: int) -> tuple[list[Projection], list[Projection]]:
    """The read models to apply here and those for a second process (none when it would not pay)."""
    everything = list(follower.projections)
    there = [p for p in everything if p.name in OFFLOADED]
    here = [p for p in everything if p.name not in OFFLOADED]
    if not (follower.reader.direct and here and there) or head - follower.position(there) < SPLIT_FROM_EVENTS:
        return everything, []
    return here, there


def start(follower: Follower, projections: Sequence[Projection]) -> subprocess.Popen[bytes]:
    """The second process, catching ``projections`` up; its orders go through stdin (no URL on a command line)."""
    reader = follower.reader
    orders = {"database_url": reader.settings.database_url, "schema": reader.schema, "table": reader.table,
              "batch_size": follower.batch_size,
              "projections": [[type(p).__module__, type(p).__qualname__, p.prefix] for p in projections]}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    worker = subprocess.Popen([sys.executable, "-m", "projections.split"], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert worker.stdin is not None
    worker.stdin.write(json.dumps(orders).encode())
    worker.stdin.close()
    worker.stdin = None  # written: communicate() must not flush it
    return worker


def finish(worker: subprocess.Popen[bytes], *, abandon: bool = False) -> None:
    """Wait for the second process (stop it when this one failed); its failure is raised here."""
    if abandon:
        worker.terminate()  # its open batch rolls back; its committed ones stay, as after any crash
    _, err = worker.communicate()
    if worker.returncode != 0 and not abandon:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-12:]
        raise RuntimeError(f"the projector's second process failed (exit {worker.returncode}):\n" + "\n".join(tail))


def _projection(module: str, qualname: str, prefix: str) -> Projection:
    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return cls(prefix)


def main() -> int:
    from infra.settings import Settings
    from projections.db import ReadDb
    from projections.follower import Follower
    from projections.log import LogReader

    orders = json.loads(sys.stdin.buffer.read())
    settings = Settings(database_url=orders["database_url"])
    projections = [_projection(*spec) for spec in orders["projections"]]
    db = ReadDb(settings)
    try:
        follower = Follower(db, LogReader(settings, schema=orders["schema"], table=orders["table"]), projections,
                            batch_size=orders["batch_size"])
        follower.catch_up(projections)
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
