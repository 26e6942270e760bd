"""Planning one batch ahead, in a second process (the relay's hot path).

Per message the relay's CPU is about half kafka-python (``send`` and its network thread, which computes
the record batches' CRC-32C in Python) and half planning (reading the log, decoding, redacting,
encoding). Both need the GIL, so in one process they add up while the second core idles. Here the
planning runs in a child process (``ProcessPlans``) and stays one batch ahead: while the relay sends,
flushes and commits batch N, the child reads and plans batch N+1 from the state batch N leaves.

Delivery does not change: the child only reads; the relay still commits a batch only after the broker
confirmed it, batches are sent in log order, one at a time. The child's state runs ahead of the
committed state by the plans it handed out; after any failure (or a reset, or taking the lock) the
relay asks for a *reload*: the child drops what it planned ahead and plans again from the committed
state, which gives the same bytes.

``InlinePlans`` does the same in the relay's process (an in-memory SQLite database, which a second
process cannot open, or ``SVLEDGER_RELAY_PLANNER=inline``).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from infra.relay_plan import Outgoing, Plan, Planner
from infra.relay_store import RelayStore, Sent, Share

PLANNER_ENV = "SVLEDGER_RELAY_PLANNER"  # "process" (default) or "inline"
AHEAD = 2  # batches planned ahead of the one being sent
PIPE_BYTES = 1 << 20  # the plans' pipe (a batch of 500 log events is ~250 kB)
FIRST_BATCH = 50  # log events in the first batch after a reload (then 100, 200 … up to the batch size)


class PlannerLost(Exception):
    """The planning process died or could not be reached: the relay retries with a new one."""


class Ahead:
    """A ``Planner`` whose state moves forward with every plan it hands out, not only with committed ones.
    ``first_batch``: after a reload, batches start this small and double up to ``config.batch_size`` (the
    relay waits for the first plan; later ones are made while it sends)."""

    def __init__(self, ledger: Any, config: Any, store: RelayStore, first_batch: int | None = None) -> None:
        self.ledger, self.config, self.store = ledger, config, store
        self.planner = Planner(ledger, config, store)
        self.positions: dict[str, int] | None = None
        self.first_batch = first_batch or config.batch_size
        self.limit = self.first_batch

    def next(self, reload: bool, committed: int) -> Plan | None:
        """The plan of the batch after the last one handed out (None: caught up); ``reload``: forget the
        plans handed out and start from the committed state. ``committed``: the position the relay
        committed last (what was sent up to it is in the relay state now)."""
        if reload or self.positions is None:
            self.positions = None
            self.planner.reload()
            self.positions = self.store.positions()
            self.limit = min(self.first_batch, self.config.batch_size)
        planner = self.planner
        planner.pending = {key: s for key, s in planner.pending.items() if s.position > committed}
        start = min(self.positions.values(), default=0)
        batch = self.ledger.recorder.select_notifications(start=start + 1, limit=self.limit)
        if not batch:
            return None
        self.limit = min(2 * self.limit, self.config.batch_size)
        plan = planner.plan(batch, self.positions)
        planner.accept(plan)
        planner.pending.update(((s.partner, s.event_id), s) for s in plan.sent)
        for name in plan.names:  # what RelayStore.commit will write
            self.positions[name] = max(self.positions.get(name, plan.position), plan.position)
        return plan


class InlinePlans:
    def __init__(self, ledger: Any, config: Any, store: RelayStore) -> None:
        self.ahead = Ahead(ledger, config, store)

    def next(self, reload: bool, committed: int) -> Plan | None:
        return self.ahead.next(reload, committed)

    def prefetch(self, committed: int) -> None:
        """Nothing to overlap in one process."""

    def expire(self) -> None:
        """Nothing is asked ahead of time."""

    def close(self) -> None:
        """The store belongs to the relay."""


class ProcessPlans:
    """The relay's side of the planning process: one request at a time, each answered by one plan."""

    def __init__(self, settings: Any, config: Any) -> None:
        self.settings, self.config = settings, config
        self.proc: subprocess.Popen[bytes] | None = None
        self.out: Any = None  # Connection to the child
        self.conn: Any = None  # Connection from the child
        self.waiting = 0  # requests sent whose answers were not read yet
        self.stale = 0  # of those, sent before the relay last caught up

    def next(self, reload: bool, committed: int) -> Plan | None:
        while reload and self.waiting:
            self._receive(drop=True)  # planned before the failure or reset: dropped
        self.stale = min(self.stale, self.waiting)
        if not self.waiting:
            self._request(reload, committed)
            return self._receive()
        while self.waiting:
            stale = self.stale > 0
            self.stale = max(0, self.stale - 1)
            plan = self._receive()
            if plan is not None or not stale:
                return plan
        self._request(False, committed)  # every answer said "caught up" before the relay last caught up
        return self._receive()

    def expire(self) -> None:
        """The relay caught up and waited: a "caught up" asked for before is no answer for now."""
        self.stale = self.waiting

    def prefetch(self, committed: int) -> None:
        """Ask for the next batches now: the child plans them while this one is sent and committed."""
        while self.waiting < AHEAD:
            self._request(False, committed)

    def _request(self, reload: bool, committed: int) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            self.close()  # the relay drops what it holds uncommitted, then asks again (a new child, reloading)
            raise PlannerLost("the planning process exited")
        if self.proc is None:
            self._start()
            reload = True
        try:
            self.out.send((reload, committed))
        except (OSError, EOFError, ValueError) as exc:
            self.close()
            raise PlannerLost(f"the planning process is gone: {exc!r}") from exc
        self.waiting += 1

    def _receive(self, drop: bool = False) -> Plan | None:
        try:
            kind, payload = pickle.loads(self.conn.recv_bytes())
        except (OSError, EOFError, ValueError) as exc:
            self.close()
            raise PlannerLost(f"the planning process is gone: {exc!r}") from exc
        finally:
            self.waiting = max(0, self.waiting - 1)
        if kind == "error" and not drop:
            raise payload
        return None if drop else unpack(payload)

    def _start(self) -> None:
        """``python -m infra.relay_ahead`` on two pipes (a fresh interpreter: never a fork of a process with a
        producer thread, and unlike multiprocessing's spawn it does not re-import the caller's main module)."""
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        try:  # Linux: room for the plans made ahead, so that the child never waits for the relay to read
            fcntl.fcntl(up_r, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
        except OSError:
            pass
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "infra.relay_ahead", str(down_r), str(up_w)],
                                         pass_fds=(down_r, up_w), env=env, stdin=subprocess.DEVNULL)
        except OSError as exc:
            for fd in (down_r, down_w, up_r, up_w):
                os.close(fd)
            raise PlannerLost(f"cannot start the planning process: {exc}") from exc
        finally:
            if self.proc is not None:
                os.close(down_r)
                os.close(up_w)
        self.out, self.conn = Connection(down_w, readable=False), Connection(up_r, writable=False)
        self.out.send((self.settings, self.config))

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.out.send(None)
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.out.close()
            self.conn.close()
        self.proc = self.out = self.conn = None
        self.waiting = self.stale = 0


def make_plans(ledger: Any, config: Any, store: RelayStore) -> InlinePlans | ProcessPlans:
    settings = ledger.settings
    in_memory = not settings.is_postgres and settings.sqlite_path.startswith((":memory:", "file:"))
    if in_memory or os.environ.get(PLANNER_ENV, "process") == "inline":
        return InlinePlans(ledger, config, store)
    return ProcessPlans(settings, config)


# -- the planning process -----------------------------------------------------------------------------------
def serve(conn: Connection, out: Connection) -> None:
    """After ``(settings, config)``, answer each request ``(reload, committed)`` with ``("plan", packed plan or
    None)`` or ``("error", exc)``; exit when the relay says so (None) or its end of the pipe closes (it exited
    or was killed)."""
    from infra.ledger import Ledger

    try:
        settings, config = conn.recv()
    except (EOFError, OSError):
        return
    ledger: Any = None
    store: RelayStore | None = None
    ahead: Ahead | None = None
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            if request is None:
                return
            reload, committed = request
            try:
                if ahead is None:
                    ledger = ledger or Ledger(settings)
                    store = store or RelayStore(settings)
                    ahead = Ahead(ledger, config, store, first_batch=FIRST_BATCH)
                answer = ("plan", pack(ahead.next(reload, committed)))
            except Exception as exc:  # noqa: BLE001 - raised in the relay; the next request reloads
                answer = ("error", _portable(exc))
                if store is not None:
                    store.db.close()  # reconnects on the next request
            out.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        for part in (store, ledger):
            if part is not None:
                try:
                    part.close()
                except Exception:  # noqa: BLE001 - exiting anyway
                    pass


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling (psycopg's and sqlite3's errors do), else PlannerLost with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return PlannerLost(f"{type(exc).__name__}: {exc}")


def pack(plan: Plan | None) -> tuple[Any, ...] | None:
    if plan is None:
        return None
    return ([(m.topic, m.key, m.value, m.feed, m.event_id, m.position) for m in plan.messages],
            [(p, c, s.active, s.seq) for (p, c), s in plan.shares.items()],
            [(s.partner, s.event_id, s.clue_id, s.seq, s.position, s.event_type) for s in plan.sent],
            plan.names, plan.position, plan.events)


def unpack(data: tuple[Any, ...] | None) -> Plan | None:
    if data is None:
        return None
    messages, shares, sent, names, position, events = data
    return Plan(messages=list(map(Outgoing._make, messages)), shares={(p, c): Share(a, s) for p, c, a, s in shares},
                sent=list(map(Sent._make, sent)), names=names, position=position, events=events)


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
