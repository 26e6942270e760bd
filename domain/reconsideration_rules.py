"""Pure rules of 行政复议 cases and their statistics (domain.md §4.7, §7 ``reconsideration_stats``).

Rates are exact fractions shown as percent strings rounded half-up (away from zero) to two decimals,
always with their unreduced numerator/denominator: ``rate(3, 84) == {"value": "3.57%", "fraction": "3/84"}``.
A zero denominator gives ``{"value": "0.00%", "fraction": "0/0"}`` (a rate over an empty cohort is shown
as 0.00%; the "0/0" fraction tells it apart from a true 0/n).
"""

from __future__ import annotations

from fractions import Fraction

ACCEPTANCE_DECISIONS = ("accepted", "not_accepted", "referred_to_competent_authority", "deemed_withdrawn",
                        "suspended_pending_litigation")
NOT_ACCEPTED_DECISIONS = ACCEPTANCE_DECISIONS[1:]  # terminal states of the case (J2 lists each separately)
PROCEDURES = ("ordinary", "simplified")

CORRECTION_OUTCOMES = frozenset({"changed", "revoked", "partially_revoked", "confirmed_illegal", "confirmed_invalid",
                                 "ordered_to_perform"})  # 纠错 (GP)
MEDIATION_OUTCOMES = frozenset({"mediated", "settled_withdrawn"})  # 调解和解
STANDARD_OUTCOMES = ("upheld", "changed", "revoked", "partially_revoked", "confirmed_illegal", "confirmed_invalid",
                     "ordered_to_perform", "claim_rejected", "mediated", "settled_withdrawn", "terminated", "other")
# only on applications imported with ``legacy_import`` (F-X: 不予支持, 停止执行, and the 41 cases without a
# disposition, which are shown as an explicit ``unclassified`` row, never absorbed silently)
LEGACY_OUTCOMES = frozenset({"not_supported", "enforcement_suspended", "unclassified"})
OUTCOMES = (*STANDARD_OUTCOMES, *sorted(LEGACY_OUTCOMES))

RECON_NOTICE_TYPES = ("reconsideration_opinion", "reconsideration_suggestion")  # 行政复议法 2023 第七十六条


def is_correction(outcome: str) -> bool:
    return outcome in CORRECTION_OUTCOMES


def is_mediation(outcome: str) -> bool:
    return outcome in MEDIATION_OUTCOMES


def percent(numerator: int, denominator: int) -> str:
    """numerator/denominator as a percent string, half-up (away from zero) to 2 decimals; 0 if denominator is 0."""
    if denominator == 0:
        return "0.00%"
    exact = Fraction(numerator, denominator) * 100
    sign = "-" if exact < 0 else ""
    hundredths, rest = divmod(abs(exact) * 100, 1)
    cents = int(hundredths) + (1 if rest >= Fraction(1, 2) else 0)
    return f"{sign if cents else ''}{cents // 100}.{cents % 100:02d}%"


def rate(numerator: int, denominator: int) -> dict[str, str]:
    """``{"value": "3.57%", "fraction": "3/84"}`` (fraction unreduced, as counted)."""
    return {"value": percent(numerator, denominator), "fraction": f"{numerator}/{denominator}"}


def change_rate(current: int, previous: int) -> dict[str, str]:
    """Year-on-year change, e.g. J1: 29 against 39 → ``{"value": "-25.64%", "fraction": "-10/39"}``."""
    return rate(current - previous, previous)
