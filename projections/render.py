"""Statistics as a table with Chinese labels, and as a paragraph in the style of the seed reports."""

from __future__ import annotations

from typing import Any

from rich.table import Table

LABELS = [
    ("clues_collected", "收集问题线索 (条)"), ("clues_valid", "有效线索 (条)"), ("cases_opened", "办理案件 (件)"),
    ("clues_screened_out", "筛除线索 (条)"), ("clues_closed", "办结线索 (条)"),
    ("case_files_reviewed", "月度评查案卷 (卷)"), ("case_file_problems", "评查发现问题 (个)"),
    ("review_suggestions", "《行政执法案卷评查建议书》(份)"), ("review_forms", "《行政执法案卷评查表》(份)"),
    ("annual_review_files", "年度评查抽取案卷 (卷)"), ("annual_review_units", "年度评查单位 (个)"),
    ("self_inspection_units", "自查自纠单位 (个)"), ("self_inspection_problems", "自查突出问题 (条)"),
    ("inspected_units", "实地督察单位 (个)"), ("inspection_feedback", "督察反馈意见 (份)"),
    ("work_tip_letters", "工作提示函 (份)"),
]
RECON_LABELS = [
    ("received", "新收行政复议案件 (件)"), ("accepted", "受理 (件)"), ("not_accepted", "不予受理 (件)"),
    ("carried_over", "上年结转 (件)"), ("closed", "办结 (件)"), ("corrected", "纠错 (件)"),
    ("correction_rate", "行政复议纠错率"), ("mediation_settlement_rate", "调解和解结案率"),
    ("acceptance_rate", "受案率"), ("open_end", "期末未结 (件)"),
    ("decisions_copied_direct", "直接抄告 (件)"), ("decisions_copied_letter", "专函抄告 (件)"),
]


def stats_table(result: dict[str, Any]) -> Table:
    title = f"{result['bureau']} 统计 {result['period']}" + (f" (截至 {result['as_of']})" if result["as_of"] else "")
    table = Table(title=title)
    table.add_column("指标")
    table.add_column("数值", justify="right")
    for key, label in LABELS:
        table.add_row(label, str(result[key]))
    recon = result["reconsideration"]
    for key, label in RECON_LABELS:
        value = recon[key]
        if key.endswith("_rate"):
            value = f"{value} ({recon[key + '_fraction']})"
        table.add_row(label, str(value))
    if recon["reconciliation_gap"]:
        table.add_row("未分类 (unclassified, 对账差额)", str(recon["unclassified"]))
    return table


def report_paragraph(r: dict[str, Any]) -> str:
    rc = r["reconsideration"]
    return (
        f"{r['period']}年,共收集问题线索{r['clues_collected']}条,梳理有效线索{r['clues_valid']}条,"
        f"办理案件{r['cases_opened']}件,办结{r['clues_closed']}条。"
        f"共抽取{r['case_file_review_units']}个部门{r['case_files_reviewed']}卷行政执法案卷进行月度评查,"
        f"共计发现{r['case_file_problems']}个问题,制发《行政执法案卷评查建议书》{r['review_suggestions']}份,"
        f"《行政执法案卷评查表》{r['review_forms']}份;"
        f"抽取{r['annual_review_units']}个单位{r['annual_review_files']}卷行政执法案卷开展年度案卷评查。"
        f"收集全市{r['self_inspection_units']}个行政执法单位共{r['self_inspection_problems']}条行政执法突出问题,"
        f"共发送工作提示函{r['work_tip_letters']}份;对{r['inspected_units']}个单位开展实地督察,"
        f"点对点发送{r['inspection_feedback']}份反馈意见。"
        f"新收行政复议案件{rc['received']}件,受理{rc['accepted']}件,不予受理{rc['not_accepted']}件,"
        f"上年结转{rc['carried_over']}件,办结{rc['closed']}件,调解和解结案率{rc['mediation_settlement_rate']};"
        f"纠错类行政复议案件{rc['corrected']}件,行政复议纠错率{rc['correction_rate']};"
        f"直接抄告{rc['decisions_copied_direct']}件、专函抄告{rc['decisions_copied_letter']}件。"
    )
