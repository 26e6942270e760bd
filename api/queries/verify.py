"""``verifyStream(streamId)``: the per-check report of domain.md §10 "Auditor verifies" for one stream
(``infra.verify_stream``), for auditors and supervisors. It returns hashes and versions, no content."""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.context import clue_id as parse_id
from domain import errors
from infra.verify_stream import verify_stream

VERIFIERS = ("auditor", "supervisor")


def verify_access(p: Principal) -> None:
    if p.role not in VERIFIERS:
        raise errors.NotAuthorized(f"{p.role} may not verify streams: auditors and supervisors do (§10)")


@strawberry.type(description="One check of domain.md §10 'Auditor verifies' (1-8)")
class VerificationCheck:
    check: int = strawberry.field(description="The check's number in domain.md §10")
    name: str
    ok: bool | None = strawberry.field(description="null: not applicable offline (checks 5 and 8), or nothing "
                                                   "to check yet (no signed checkpoint)")
    detail: str
    first_bad_version: int | None = strawberry.field(description="The first version of the stream that fails")


@strawberry.type(description="The signed checkpoint the stream's events were proven against")
class VerifiedCheckpoint:
    seq: int
    tree_size: int
    to_position: int
    merkle_root: str
    signer_key_id: str
    signed_at: str


@strawberry.type(description="Per-check verification report of one stream (domain.md §10)")
class VerificationReport:
    stream_id: strawberry.ID
    stream_type: str | None
    ok: bool = strawberry.field(description="No check failed (checks reporting null do not count)")
    events: int
    checkpoint: VerifiedCheckpoint | None
    checkpointed_versions: list[int]
    not_yet_checkpointed: list[int] = strawberry.field(description="Versions recorded after the latest signed "
                                                                   "checkpoint (not a failure)")
    checks: list[VerificationCheck]

    @classmethod
    def of(cls, report: dict[str, Any]) -> VerificationReport:
        cp = report["checkpoint"]
        return cls(stream_id=strawberry.ID(report["stream_id"]), stream_type=report["stream_type"], ok=report["ok"],
                   events=report["events"], checkpoint=VerifiedCheckpoint(**cp) if cp else None,
                   checkpointed_versions=report["checkpointed_versions"],
                   not_yet_checkpointed=report["not_yet_checkpointed"],
                   checks=[VerificationCheck(**c) for c in report["checks"]])


@strawberry.type
class VerifyQueries:
    @strawberry.field(description="Verify one stream from the stored events (auditors, supervisors): hashes, "
                                  "chain and versions, inclusion in the latest signed checkpoint, checkpoint "
                                  "signatures and chain, corrections and approvals — one entry per check of "
                                  "domain.md §10")
    async def verify_stream(self, info: strawberry.Info, stream_id: strawberry.ID) -> VerificationReport | None:
        ctx = info.context
        verify_access(ctx.require_principal())
        stream = parse_id(str(stream_id))
        return VerificationReport.of(await run_in_threadpool(verify_stream, ctx.services.ledger, stream))
