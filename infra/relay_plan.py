"""Which stored event goes to which partner, with which ``partnerseq`` (domain.md §11 "Published").

The planner turns one batch of the notification log into messages plus the relay state they imply
(share status and last ``partnerseq`` per partner and clue, events sent). Nothing is written here:
the relay commits that state with its position only after the broker confirmed the batch, and a
batch that failed is simply planned again from the committed state — giving the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from uuid import UUID

from infra import partner_feed as pf
from infra.partner_feed import Stored
from infra.relay_store import CHECKPOINTS, RelayStore, Sent, Share, partner_feed_name


RELEVANT = pf.PUBLISHED_CLUE_EVENTS | {pf.CHECKPOINT_EVENT}


class Outgoing(NamedTuple):
    topic: str
    key: bytes
    value: bytes
    feed: str
    event_id: str
    position: int


@dataclass
class Plan:
    messages: list[Outgoing] = field(default_factory=list)
    shares: dict[tuple[str, str], Share] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    position: int = 0
    events: int = 0
    new_partners_of: dict[str, set[str]] = field(default_factory=dict)  # clue -> partners first shared in this plan


class Planner:
    def __init__(self, ledger: Any, config: Any, store: RelayStore) -> None:
        self.ledger, self.config, self.store = ledger, config, store
        self.reload()

    def reload(self) -> None:
        """Forget everything not committed (after a failed batch or a reset)."""
        self.shares: dict[tuple[str, str], Share] = self.store.shares()
        self.partners_of: dict[str, set[str]] = {}
        for partner, clue in self.shares:
            self.partners_of.setdefault(clue, set()).add(partner)
        self._targets: dict[tuple[str, str], str | None] = {}
        # sent in plans accepted ahead of their commit (``infra.relay_ahead``): corrections look here first
        self.pending: dict[tuple[str, str], Sent] = {}

    @property
    def partners(self) -> set[str]:
        return {partner for partner, _ in self.shares}

    def accept(self, plan: Plan) -> None:
        """The batch was confirmed and committed: its state becomes the committed state."""
        for (partner, clue), share in plan.shares.items():
            self.shares[(partner, clue)] = share
            self.partners_of.setdefault(clue, set()).add(partner)

    # -- planning -----------------------------------------------------------------------------------------
    def plan(self, notifications: Sequence[Any], positions: dict[str, int]) -> Plan:
        plan = Plan(position=notifications[-1].id if notifications else 0, events=len(notifications))
        relevant = [n for n in notifications if n.topic.rsplit(".", 1)[-1] in RELEVANT]  # the rest: not decoded
        # the recorded hashes of the events that may be sent, in one query (not one per message)
        hashes = self.store.event_hashes((str(n.originator_id), int(n.originator_version)) for n in relevant)
        for n in relevant:
            ev = Stored.decode(n)
            if ev.stream_type == "Checkpoint" and ev.event_type == pf.CHECKPOINT_EVENT:
                if ev.position > positions.get(CHECKPOINTS, 0):
                    self._emit_checkpoint(plan, ev, hashes)
                continue
            if ev.stream_type != "Clue" or ev.event_type not in pf.PUBLISHED_CLUE_EVENTS:
                continue
            for partner, target_type in self._recipients(plan, ev, positions):
                self._emit(plan, ev, partner, target_type, hashes)
        plan.names = {partner_feed_name(p) for p in self.partners | {p for p, _ in plan.shares}} | {CHECKPOINTS}
        return plan

    def _share(self, plan: Plan, partner: str, clue: str) -> Share | None:
        share = plan.shares.get((partner, clue))
        if share is None and (partner, clue) in self.shares:
            share = replace(self.shares[(partner, clue)])
            plan.shares[(partner, clue)] = share
        return share

    def _recipients(self, plan: Plan, ev: Stored, positions: dict[str, int]) -> list[tuple[str, str | None]]:
        clue = ev.stream_id

        def behind(partner: str) -> bool:  # this partner's feed has not confirmed this position yet
            return ev.position > positions.get(partner_feed_name(partner), 0)

        if ev.event_type in pf.SHARE_EVENTS:
            partner = str(ev.data.get("partner_org_id", ""))
            if not partner or not behind(partner):
                return []
            share = self._share(plan, partner, clue)
            if ev.event_type == "PartnerShareGranted":
                if share is None:
                    share = plan.shares[(partner, clue)] = Share(active=False, seq=0)
                    plan.new_partners_of.setdefault(clue, set()).add(partner)
                share.active = True
                return [(partner, None)]
            if share is None or not share.active:
                return []
            return [(partner, None)]  # the revocation is the last message; ``_emit`` closes the share
        out: list[tuple[str, str | None]] = []
        candidates = self.partners_of.get(clue, set()) | plan.new_partners_of.get(clue, set())
        for partner in sorted(candidates):
            share = self._share(plan, partner, clue)
            if share is None or not share.active or not behind(partner):
                continue
            if ev.event_type in pf.TRANSFER_EVENTS:
                if self.transfer_target(clue, str(ev.data.get("transfer_id"))) != partner:
                    continue
            if ev.event_type in pf.CORRECTION_EVENTS:
                target = self._sent(plan, partner, str(ev.data.get("target_event_id")))
                if target is None:
                    continue
                out.append((partner, target.event_type))
                continue
            out.append((partner, None))
        return out

    def _sent(self, plan: Plan, partner: str, event_id: str) -> Sent | None:
        for s in plan.sent:
            if s.partner == partner and s.event_id == event_id:
                return s
        return self.pending.get((partner, event_id)) or self.store.sent(partner, event_id)

    def _emit(self, plan: Plan, ev: Stored, partner: str, target_type: str | None,
              hashes: dict[tuple[str, int], str]) -> None:
        share = self._share(plan, partner, ev.stream_id)
        assert share is not None
        own = (ev.event_type == "AccountabilityReferred"
               and self.transfer_target(ev.stream_id, str(ev.data.get("via_transfer_id"))) == partner)
        data = pf.partner_data(ev, partner, self.config.pseudonym_key, own_transfer=own,
                               correction_target_type=target_type)
        if ev.event_type == "PartnerShareRevoked":
            share.active = False
        if data is None:  # a correction of fields this partner never sees
            return
        share.seq += 1
        ce = pf.cloud_event(ev, data, bureau=self.config.bureau, event_hash=hashes.get((ev.stream_id, ev.version)),
                            partnerseq=share.seq, schema_base=self.config.schema_base)
        plan.messages.append(Outgoing(self.config.partner_topic(partner), ev.stream_id.encode(), pf.encode(ce),
                                      partner_feed_name(partner), ev.event_id, ev.position))
        plan.sent.append(Sent(partner, ev.event_id, ev.stream_id, share.seq, ev.position, ev.event_type))

    def _emit_checkpoint(self, plan: Plan, ev: Stored, hashes: dict[tuple[str, int], str]) -> None:
        digest = hashes.get((ev.stream_id, ev.version))
        ce = pf.cloud_event(ev, pf.checkpoint_data(ev), bureau=self.config.bureau, event_hash=digest,
                            partnerseq=None, schema_base=self.config.schema_base)
        plan.messages.append(Outgoing(self.config.checkpoint_topic, ev.stream_id.encode(), pf.encode(ce),
                                      CHECKPOINTS, ev.event_id, ev.position))

    # -- lookups in the log ---------------------------------------------------------------------------------
    def transfer_target(self, clue: str, transfer_id: str) -> str | None:
        """The ``target_org_id`` of a clue's transfer (from its TransferProposed; it never changes)."""
        key = (clue, transfer_id)
        if key not in self._targets:
            for stored in self.ledger.recorder.select_events(UUID(clue)):
                if stored.topic.endswith(".TransferProposed"):
                    data = Stored.decode(_AsNotification(stored)).data
                    self._targets[(clue, str(data.get("transfer_id")))] = data.get("target_org_id")
            self._targets.setdefault(key, None)
        return self._targets[key]


class _AsNotification:
    """A stored event (no log position) decoded like a notification."""

    def __init__(self, stored: Any) -> None:
        self.id, self.originator_id, self.originator_version = 0, stored.originator_id, stored.originator_version
        self.topic, self.state = stored.topic, stored.state
