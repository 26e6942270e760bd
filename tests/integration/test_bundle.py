"""Evidence bundles: export, verify alone, any edited byte fails."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.bundle import export_bundle, verify_bundle
from infra.checkpoints import make_checkpoint
from infra.ledger import Ledger
from infra.sample import record_sample_clue
from infra.settings import Settings

CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("bundle")
    ledger = Ledger(Settings(database_url=f"sqlite:///{path / 'b.db'}", signing_key=str(path / "k.key")))
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=5)
    clue = record_sample_clue(ledger, start=start)
    record_sample_clue(ledger, start=start + timedelta(seconds=1))
    make_checkpoint(ledger)
    return export_bundle(ledger, clue)


def test_an_exported_bundle_verifies_on_its_own(bundle: dict) -> None:
    assert verify_bundle(json.loads(json.dumps(bundle))) == []
    assert len(bundle["events"]) == 13 and bundle["checkpoint"]["tree_size"] == 26


def test_a_foreign_trusted_key_is_refused(bundle: dict) -> None:
    assert verify_bundle(bundle, trusted_public_key="00" * 32)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edited_byte_fails(bundle: dict, data: st.DataObject) -> None:
    text = json.dumps(bundle, ensure_ascii=False)
    i = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    replacement = data.draw(st.characters(codec="utf-8", exclude_characters=[text[i]]))
    edited = text[:i] + replacement + text[i + 1:]
    try:
        parsed = json.loads(edited)
    except ValueError:
        return  # not even JSON any more: refused by the verifier's parser
    if parsed == bundle:
        return  # an edit inside insignificant whitespace
    try:
        problems = verify_bundle(parsed)
    except (KeyError, TypeError, ValueError):
        return  # structurally broken: refused
    proven = ("format", "stream_id", "stream_type", "events", "checkpoint", "public_key")
    informational_only = all(parsed.get(k) == bundle[k] for k in proven)  # e.g. the unproven_versions note
    assert problems or informational_only


def test_a_reordered_bundle_fails(bundle: dict) -> None:
    edited = copy.deepcopy(bundle)
    edited["events"][2], edited["events"][3] = edited["events"][3], edited["events"][2]
    assert verify_bundle(edited)
