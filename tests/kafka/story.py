"""Recording clues for the partner-feed tests through the command layer (``infra.script.Script``):
a clue transferred to the discipline-inspection partner ``hq-jwjw`` with canaries planted in every
field that must never leave the ledger, and a clue that is never shared."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import errors
from domain.base import value_hash
from infra.ledger import Ledger
from infra.script import Script

PARTNER = "hq-jwjw"
STAFF = {"user_id": "u-staff-1", "role": "supervision_staff", "org_id": "HQ"}
STAFF2 = {"user_id": "u-staff-2", "role": "supervision_staff", "org_id": "HQ"}
SUPERVISOR = {"user_id": "u-sup-1", "role": "supervisor", "org_id": "HQ"}
SUPERVISOR2 = {"user_id": "u-sup-2", "role": "supervisor", "org_id": "HQ"}
CST = timezone(timedelta(hours=8))

# Canaries: a reporter's name (it may only ever appear in internal free text) and vault tokens.
CANARY_NAME = "金丝雀张三"
CANARY_REPORTER_TOKEN = "pt_" + "canaryreporterzzzzzzzzzzz2"[:26]
CANARY_ACCUSED_TOKEN = "pt_" + "canaryaccusedqqqqqqqqqqqq7"[:26]
CANARY_STORAGE = "dms://canary-storage"
# an accused person's token: visible to the partner only in events of its own transfer (§11)
ACCUSED_OWN_TRANSFER = "pt_" + "accusedvisibletothepartner"[:26]
STAFF_IDS = ("u-staff-1", "u-staff-2", "u-sup-1", "u-sup-2")
CANARIES = (CANARY_NAME, CANARY_REPORTER_TOKEN, CANARY_ACCUSED_TOKEN, CANARY_STORAGE, *STAFF_IDS)


def doc(name: str, number: str | None = None) -> dict[str, Any]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    ref = {"doc_id": digest[:16], "name": name, "doc_type": "document", "content_hash": digest,
           "size_bytes": 2048, "mime": "application/pdf", "storage_ref": f"{CANARY_STORAGE}/{digest[:8]}",
           "sensitivity": "S2"}
    return {**ref, "doc_number": number} if number else ref


class Story:
    """Steps of clues on one ledger; ``start`` is far enough back that every step is in the past."""

    def __init__(self, ledger: Ledger, name: str, start: datetime | None = None) -> None:
        self.ledger, self.name = ledger, name
        self.script = Script(ledger, f"kafka-test:{name}")
        self.start = start or datetime.now(CST).replace(microsecond=0) - timedelta(hours=20)
        self.minutes = 0

    def at(self) -> datetime:
        self.minutes += 1
        return self.start + timedelta(minutes=self.minutes)

    def uid(self, *parts: str) -> str:
        return str(uuid5(NAMESPACE_URL, ":".join((self.name, *parts))))

    def run(self, command: str, data: dict[str, Any], clue: UUID | str, actor: dict[str, str] = STAFF,
            approvers: tuple[dict[str, str], ...] = (), **meta: Any) -> dict[str, Any]:
        return self.script.run(command, data, at=self.at(), actor=actor, stream=clue, approvers=list(approvers),
                               **meta)

    # -- a clue up to a substantiated finding ---------------------------------------------------------
    def investigated_clue(self, code: str) -> UUID:
        clue = UUID(self.uid(code, "clue"))
        self.run("receiveClue", {"channel": "letter_visit", "subject_agency_ids": ["A03"],
                                 "summary": f"实名举报人{CANARY_NAME}反映交通运输局治超执法以罚代管",
                                 "reporter": {"kind": "named", "contactable": True, "real_name_report": True,
                                              "reporter_token": CANARY_REPORTER_TOKEN}}, clue)
        self.run("registerClue", {}, clue)
        self.run("acknowledgeReceipt", {"method": "letter", "recipient": CANARY_REPORTER_TOKEN}, clue)
        self.run("screenClue", {"outcome": "valid", "reason_code": "other",
                                "reason": f"{CANARY_NAME}所反映问题具体,属监督范围"}, clue)
        self.run("openSupervisionCase", {"case_kind": "individual", "lead_user_id": STAFF["user_id"]}, clue,
                 approvers=(SUPERVISOR,))
        self.run("startVerification", {"methods": ["document_review"], "team_user_ids": [STAFF["user_id"]]}, clue)
        self.run("recordEvidence", {"evidence_id": self.uid(code, "evidence"), "kind": "statement",
                                    "documents": [doc(f"{code} 询问笔录")],
                                    "description": f"举报人{CANARY_NAME}陈述"}, clue)
        self.run("recordFinding", {"finding_id": self.uid(code, "finding"), "conclusion": "substantiated",
                                   "problem_categories": ["profit_driven"], "responsible_agency_ids": ["A03"],
                                   "responsible_person_tokens": [CANARY_ACCUSED_TOKEN],
                                   "violated_provisions": ["《中华人民共和国行政处罚法》第七十四条"],
                                   "summary": f"经核查{CANARY_NAME}反映属实"}, clue, approvers=(SUPERVISOR,))
        return clue

    def transfer_to_partner(self, clue: UUID, code: str) -> str:
        """Propose (without finding_report: approval is refused), attach, approve, send to ``hq-jwjw``."""
        transfer = self.uid(code, "transfer")
        self.run("proposeTransfer", {"transfer_id": transfer, "target_type": "discipline_inspection",
                                     "target_org_id": PARTNER, "transfer_kind": "official_misconduct",
                                     "report_doc": doc(f"{code} 关于移送问题线索的请示"),
                                     "materials": [{"material_type": "transfer_letter", "doc": doc(f"{code} 移送函")},
                                                   {"material_type": "clue_materials", "doc": doc(f"{code} 线索材料")}]},
                 clue, actor=STAFF2)
        try:  # scenario 2: approving without finding_report is refused
            self.run("approveTransfer", {"transfer_id": transfer}, clue, actor=SUPERVISOR, approvers=(SUPERVISOR2,))
            raise AssertionError("approval without finding_report must fail")
        except errors.TransferMissingMaterials:
            pass
        self.run("attachTransferMaterials", {"transfer_id": transfer, "materials": [
            {"material_type": "finding_report", "doc": doc(f"{code} 核查认定报告")}]}, clue, actor=STAFF2)
        self.run("approveTransfer", {"transfer_id": transfer}, clue, actor=SUPERVISOR, approvers=(SUPERVISOR2,))
        self.run("sendTransfer", {"transfer_id": transfer, "sent_via": "official_letter",
                                  "transfer_letter": doc(f"{code} 移送函", f"汉司监移〔2024〕{code}号"),
                                  "partner_summary": f"{code}: 治超执法以罚代管,移送审查处理"}, clue, actor=STAFF2)
        return transfer

    def after_transfer(self, clue: UUID, code: str, transfer: str) -> None:
        """Events after the share: a notice (issued, served), acknowledgement, decision, a correction."""
        notice = self.uid(code, "notice")
        number = f"汉司监整〔2024〕{code}号"
        self.run("issueNotice", {"notice_id": notice, "notice_type": "rectification_notice", "doc_number": number,
                                 "recipient_org_id": "A03", "requirements": f"回复{CANARY_NAME}并整改",
                                 "document": doc(f"{code} 整改通知书", number)}, clue, approvers=(SUPERVISOR,))
        self.run("serveNotice", {"notice_id": notice, "method": "direct",
                                 "service_receipt": doc(f"{code} 送达回证")}, clue)
        self.run("acknowledgeTransfer", {"transfer_id": transfer, "receipt": doc(f"{code} 签收回执")}, clue,
                 external_refs=[{"system": "discipline_inspection", "ref": f"汉纪监收〔2024〕{code}号"}])
        self.run("receiveTransferDecision", {"transfer_id": transfer, "decision": "preliminary_verification",
                                             "decision_doc": doc(f"{code} 处置情况告知书")}, clue)

    def refer_accountability(self, clue: UUID, code: str, transfer: str) -> None:
        self.run("referAccountability", {"accountability_id": self.uid(code, "accountability"), "target_org_id": "A03",
                                         "target_person_tokens": [ACCUSED_OWN_TRANSFER],
                                         "recommended": ["admonishment_talk"], "via_transfer_id": transfer}, clue,
                 approvers=(SUPERVISOR,))

    def correct(self, clue: UUID, target_event_id: str, path: str, old: Any, new: Any) -> dict[str, Any]:
        return self.run("correctEvent", {"target_event_id": target_event_id, "reason": f"{CANARY_NAME}: 更正",
                                         "changes": [{"path": path, "old_value_hash": value_hash(old),
                                                      "new_value": new}]}, clue, approvers=(SUPERVISOR,))

    def revoke(self, clue: UUID) -> None:
        self.run("revokePartnerShare", {"partner_org_id": PARTNER, "reason": f"{CANARY_NAME}: 撤销共享"}, clue,
                 actor=SUPERVISOR, approvers=(SUPERVISOR2,))

    def shared_clue(self, code: str, *, full: bool = True) -> UUID:
        clue = self.investigated_clue(code)
        transfer = self.transfer_to_partner(clue, code)
        if full:
            self.after_transfer(clue, code, transfer)
        return clue

    def unshared_clue(self, code: str) -> UUID:
        return self.investigated_clue(code)
