"""domain.md §13 scenarios 6 (case-file review batch through the mutations, on a fresh database) and 7
(reconsideration statistics over GraphQL: H1 2024 on ``demo_2024``; F-J and F-X in their own bureaus)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from domain.catalogue.review import grade_for
from infra.bootstrap import build_ledger
from infra.demo import load_demo
from infra.sample import CST
from infra.settings import Settings
from tests.e2e.commands import SUP1, doc, meta, run, send
from tests.e2e.conftest import SECRET, Api, ApiSettings, TestClient, create_app
from tests.e2e.scenario_helpers import code_of, demo_api, demo_template  # noqa: F401 - fixtures

AGENCIES = ["A01", "A02", "A03", "A04"]


def test_scenario_6_case_file_review_batch(api: Api) -> None:
    start = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
    at = iter(start + timedelta(seconds=20 * i) for i in range(400))
    opened = run(api, "openReviewBatch", {
        "batch_kind": "case_file_review", "title": "2024年1月行政执法案卷评查", "scope_org_ids": AGENCIES,
        "period_covered": {"start_on": "2023-07-01", "end_on": "2023-12-31"}, "plan": doc("案卷评查工作方案"),
        "teams": [{"team_id": str(uuid4()), "leader_position": "评查组组长", "member_user_ids": ["u-staff-1", "u-staff-2"]}]},
        meta(next(at), 0, approvers=(SUP1,)))
    batch, v = opened["streamId"], opened["version"]
    files = [{"case_file_id": str(uuid4()), "agency_id": AGENCIES[i % 4], "case_ref": f"汉执罚〔2023〕{100 + i}号",
              "enforcement_type": "penalty", "closed_on": "2023-11-20"} for i in range(12)]
    v = run(api, "sampleCaseFiles", {"files": files, "sampling": "random"}, meta(next(at), v, batch))["version"]
    problems: dict[str, list[str]] = {}
    for n in range(90):  # 90 problems over the 12 files (7 or 8 each)
        f = files[n % 12]
        pid = str(uuid4())
        problems.setdefault(f["case_file_id"], []).append(pid)
        v = run(api, "recordProblem", {"problem_id": pid, "agency_id": f["agency_id"], "case_file_id": f["case_file_id"],
                                       "category": "other", "severity": "general", "description": f"案卷问题{n + 1}",
                                       "source": "reviewer"}, meta(next(at), v, batch))["version"]
    for i, f in enumerate(files):
        score = 85.0 - i
        v = run(api, "reviewCaseFile", {"case_file_id": f["case_file_id"], "reviewer_user_ids": ["u-staff-1", "u-staff-2"],
                                        "score": score, "grade": grade_for(score),
                                        "problem_ids": problems[f["case_file_id"]],
                                        "review_form": doc(f"行政执法案卷评查表({f['case_ref']})")},
                meta(next(at), v, batch))["version"]
    for k, agency in enumerate(AGENCIES):
        number = f"汉司监评〔2099〕{k + 1}号-{uuid4().hex[:4]}"
        v = run(api, "issueNoticeInBatch", {"notice_id": str(uuid4()), "notice_type": "review_suggestion",
                                            "doc_number": number, "recipient_org_id": agency,
                                            "requirements": "针对评查发现的问题逐项整改", "document": doc(f"评查意见书{k}", number)},
                meta(next(at), v, batch, approvers=(SUP1,)))["version"]
    counts = {"files_reviewed": 12, "problems_found": 91, "notices_issued": 4, "forms_filled": 12, "units_inspected": 0}
    closing = {"reported_counts": counts, "report": doc("2024年1月案卷评查情况报告")}
    refused = send(api, "closeReviewBatch", closing, meta(next(at), v, batch, approvers=(SUP1,)))
    assert code_of(refused) == "BATCH_COUNTS_MISMATCH" and "problems_found" in refused["errors"][0]["message"]
    closing["reported_counts"] = {**counts, "problems_found": 90}
    closed = run(api, "closeReviewBatch", closing, meta(next(at), v, batch, approvers=(SUP1,)))
    assert closed["eventType"] == "ReviewBatchClosed"
    api.catch_up()
    (shown,) = [b for b in api.data("{ reviewBatches { id batchNo batchKind status filesSampled filesReviewed "
                                    "problemsFound noticesIssued formsFilled version } }")["reviewBatches"]
                if b["id"] == batch]
    assert shown["batchNo"].startswith("HQ-RB-") and shown["status"] == "closed"
    assert (shown["filesSampled"], shown["filesReviewed"], shown["problemsFound"], shown["noticesIssued"],
            shown["formsFilled"], shown["version"]) == (12, 12, 90, 4, 12, closed["version"])
    stats = api.data("query($y: Int!) { statistics(period: {year: $y}) { caseFilesReviewed caseFileProblems "
                     "reviewSuggestions reviewForms } }", {"y": start.year})["statistics"]
    assert stats == {"caseFilesReviewed": 12, "caseFileProblems": 90, "reviewSuggestions": 4, "reviewForms": 12}


H1 = ('{ statistics(period: {year: 2024, half: 1}, asOf: "2024-07-18") { reconsideration { received accepted '
      'notAccepted carriedOver closed corrected openEnd correctionRate { value fraction } '
      'mediationSettlementRate { value fraction } acceptanceRate { value fraction } } } }')


def test_scenario_7_reconsideration_statistics_h1_2024(demo_api: tuple[Api, dict[str, Any]]) -> None:
    api, _ = demo_api
    rc = api.data(H1)["statistics"]["reconsideration"]
    assert (rc["received"], rc["accepted"], rc["notAccepted"], rc["carriedOver"], rc["closed"], rc["corrected"],
            rc["openEnd"]) == (100, 83, 17, 14, 84, 3, 13)
    assert rc["correctionRate"] == {"value": "3.57%", "fraction": "3/84"}
    assert rc["mediationSettlementRate"] == {"value": "50.00%", "fraction": "42/84"}
    assert rc["acceptanceRate"] == {"value": "83.00%", "fraction": "83/100"}


def test_scenario_7_fixtures_in_their_own_bureaus(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fixtures.db'}"
    ledger = build_ledger(url)
    for name in ("F-J", "F-X"):
        load_demo(ledger, name)
    ledger.close()
    query = ("query($y: Int!) { statistics(period: {year: $y}) { bureau reconsideration { received unclassified "
             "reconciliationGap acceptanceRate { value fraction } } } }")
    for bureau, year, expect in (("JH", 2019, (29, "75.86%", "22/29")), ("XZ", 2016, (753, None, None))):
        settings = ApiSettings.from_env({}, ledger=Settings(database_url=url, bureau=bureau), jwt_secret=SECRET,
                                        project_interval=0.2)
        with TestClient(create_app(settings)) as client:
            api = Api(client)
            api.catch_up()
            rc = api.data(query, {"y": year})["statistics"]["reconsideration"]
        assert rc["received"] == expect[0]
        if bureau == "JH":
            assert rc["acceptanceRate"] == {"value": expect[1], "fraction": expect[2]}
        else:
            assert rc["unclassified"] == 41 and rc["reconciliationGap"] is True
