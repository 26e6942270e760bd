"""Every read model the projector maintains, by name."""

from __future__ import annotations

from projections.clues import ClueList
from projections.facts import Facts
from projections.obligations import Obligations
from projections.notices import NoticeRegister
from projections.timeline import AuditTimeline
from projections.work import WorkRegisters

PROJECTIONS = (Facts, ClueList, Obligations, NoticeRegister, AuditTimeline, WorkRegisters)
BY_NAME = {p.name: p for p in PROJECTIONS}
