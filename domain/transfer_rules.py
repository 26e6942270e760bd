"""Mandatory transfer materials (rule 9): 《行政执法机关移送涉嫌犯罪案件的规定》第六条 and GP for 纪检监察."""

from __future__ import annotations

from typing import Any

# must be attached as a document
REQUIRED_DOCS: dict[str, tuple[str, ...]] = {
    "suspected_crime": ("transfer_letter", "investigation_report", "seized_items_list"),
    "discipline_inspection": ("transfer_letter", "clue_materials", "finding_report"),
}
# attached, or declared not applicable with a reason
REQUIRED_OR_DECLARED: dict[str, tuple[str, ...]] = {
    "suspected_crime": ("inspection_appraisal", "other_crime_materials"),
}
PARTNER_TARGETS = ("discipline_inspection", "public_security", "procuratorate")


def material_key(transfer: dict[str, Any]) -> str | None:
    if transfer["transfer_kind"] == "suspected_crime":
        return "suspected_crime"
    if transfer["target_type"] == "discipline_inspection":
        return "discipline_inspection"
    return None


def missing_materials(transfer: dict[str, Any]) -> list[str]:
    """Material types still missing for ``transfer`` (a dict with kind, target and ``materials``)."""
    key = material_key(transfer)
    if key is None:
        return []
    have = {m["material_type"]: m for m in transfer["materials"]}
    missing = [t for t in REQUIRED_DOCS.get(key, ()) if not have.get(t, {}).get("doc")]
    missing += [t for t in REQUIRED_OR_DECLARED.get(key, ()) if t not in have]
    return missing


def merge_materials(current: list[dict[str, Any]], added: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TransferMaterialsAttached replaces entries of the same ``material_type``."""
    by_type = {m["material_type"]: m for m in current}
    by_type.update({m["material_type"]: m for m in added})
    return list(by_type.values())
