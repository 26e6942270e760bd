"""The demo reproduces seed 001's figures exactly (domain.md §12.1 Statistics contract), on both databases;
and the 003/004 fixtures give their rates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.ledger import Ledger
from infra.settings import Settings
from projections.periods import period, point_in_time
from projections.runner import Projector
from projections.statistics import statistics

CONTRACT = {"clues_collected": 8, "clues_valid": 5, "cases_opened": 4, "clues_screened_out": 3, "clues_closed": 3,
            "case_files_reviewed": 24, "case_file_problems": 180, "review_suggestions": 8, "review_forms": 24,
            "annual_review_files": 51, "annual_review_units": 18, "self_inspection_units": 28,
            "self_inspection_problems": 51, "inspected_units": 12, "inspection_feedback": 12, "work_tip_letters": 17}
RECON = {"received": 100, "accepted": 83, "not_accepted": 17, "carried_over": 14, "closed": 84, "corrected": 3,
         "correction_rate": "3.57%", "mediation_settlement_rate": "50.00%", "open_end": 13, "acceptance_rate": "83.00%",
         "decisions_copied_direct": 24, "decisions_copied_letter": 4}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo_ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    from infra.demo import load_demo

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    ledger = Ledger(Settings(database_url=url))
    load_demo(ledger)
    Projector(ledger).run_once()
    yield ledger
    ledger.close()


def stats(ledger: Ledger, **kwargs) -> dict:
    moment = point_in_time(kwargs.pop("as_of", None))
    return statistics(Projector(ledger).db, period(**kwargs), bureau="HQ", as_of=moment, known_at=moment)


def test_2024_as_of_report_day_equals_seed_001(demo_ledger: Ledger) -> None:
    result = stats(demo_ledger, year=2024, as_of="2024-07-18")
    assert {k: result[k] for k in CONTRACT} == CONTRACT
    assert {k: result["reconsideration"][k] for k in RECON} == RECON
    assert result["reconsideration"]["correction_rate_fraction"] == "3/84"
    assert result["reconsideration"]["mediation_settlement_rate_fraction"] == "42/84"


def test_first_half_gives_the_same_reconsideration_answers(demo_ledger: Ledger) -> None:
    h1 = stats(demo_ledger, year=2024, half=1)["reconsideration"]
    assert {k: h1[k] for k in RECON} == RECON


def test_part_b_changes_only_part_b_items(demo_ledger: Ledger) -> None:
    full = stats(demo_ledger, year=2024)
    assert full["annual_review_files_reviewed"] == 51
    assert full["clues_closed"] == 5  # D7 and D6 closed in Part B
    assert full["clues_collected"] == 8 and full["case_files_reviewed"] == 24


def test_a_quarter_and_a_custom_period(demo_ledger: Ledger) -> None:
    q1 = stats(demo_ledger, year=2024, quarter=1)
    assert q1["clues_collected"] == 5  # D1–D5 received in Q1
    custom = stats(demo_ledger, start="2024-06-01", end="2024-06-30")
    assert custom["clues_collected"] == 1  # D8


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fixture_ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """F-J (seed 003), F-X and F-X2 (seed 004) in their own bureaus (JH, XZ)."""
    from infra.demo import load_fixture

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fixtures') / 'f.db'}"
    else:
        url = request.getfixturevalue("pg_database")  # beside the demo: other bureaus, other years
    ledger = Ledger(Settings(database_url=url))
    for name in ("F-J", "F-X", "F-X2"):
        load_fixture(ledger, name)
    Projector(ledger).run_once()
    yield ledger
    ledger.close()


def bureau_stats(ledger: Ledger, bureau: str, year: int) -> dict:
    return statistics(Projector(ledger).db, period(year), bureau=bureau)


def test_seed_003_acceptance_rate_and_decline(fixture_ledger: Ledger) -> None:
    r = bureau_stats(fixture_ledger, "JH", 2019)
    rc = r["reconsideration"]
    assert (rc["received"], rc["accepted"], rc["acceptance_rate"], rc["acceptance_rate_fraction"]) == (
        29, 22, "75.86%", "22/29")
    assert rc["decisions"] == {"accepted": 22, "not_accepted": 4, "referred_to_competent_authority": 1,
                               "deemed_withdrawn": 1, "suspended_pending_litigation": 1}
    assert (rc["received_previous_period"], rc["received_change_rate"]) == (39, "-25.64%")
    assert (r["annual_review_files"], r["annual_review_units"]) == (165, 19)


def test_seed_004_totals_keep_their_unclassified_gap(fixture_ledger: Ledger) -> None:
    rc = bureau_stats(fixture_ledger, "XZ", 2016)["reconsideration"]
    assert rc["received"] == 753 and rc["not_accepted"] == 12
    assert rc["dispositions"] == {"upheld": 323, "revoked": 75, "terminated": 180, "confirmed_illegal": 7,
                                  "not_supported": 2, "enforcement_suspended": 1, "other": 112, "unclassified": 41}
    assert sum(rc["dispositions"].values()) + rc["not_accepted"] == 753
    assert rc["unclassified"] == 41 and rc["reconciliation_gap"] is True


def test_seed_004_withdrawal_share(fixture_ledger: Ledger) -> None:
    rc = bureau_stats(fixture_ledger, "XZ", 2017)["reconsideration"]
    assert (rc["closed"], rc["withdrawal_rate"], rc["withdrawal_rate_fraction"]) == (95, "25.26%", "24/95")


def test_read_model_queries_answer_as_of_a_date(demo_ledger: Ledger) -> None:
    from projections import queries

    db = Projector(demo_ledger).db
    board = queries.agency_board(db, "A02", point_in_time("2024-03-06"))
    assert (board["open"], board["overdue"], board["rectified"]) == (1, 1, 0)  # scenario 1: D1 overdue
    assert queries.agency_board(db, "A02", point_in_time("2024-04-03"))["rectified"] == 1
    assert [o["type"] for o in queries.overdue(db, point_in_time("2024-03-06"))] == ["rectification_report"]
    (d6,) = queries.transfer_tracker(db)
    assert d6["clue_no"] == "HQ-JD-2024-0006" and d6["target_org_id"] == "hq-jwjw" and d6["status"] == "completed"
    assert {t["type"] for t in d6["timers"]} >= {"transfer_approval", "transfer_sending"}
    compliance = queries.feedback_compliance(db)
    assert compliance["by_channel"]["hotline_12345"]["due"] >= 1
    assert any(u["closed"] for u in queries.staff_workload(db))
