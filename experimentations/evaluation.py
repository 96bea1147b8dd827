"""The evaluation summary: each indicator before and after, overall and company by company.

"Before" is the indicator's baseline (for a company measured more than once, its first
measure); "after" is the latest measure. Progress is the share of the way from the baseline
to the target, whichever way the target lies (a rate to lower, a share to raise).
Four queries whatever the number of companies and measurements: the indicators, the latest
and the first measure of each (indicator, company or overall) pair, found with a window
function in the database, and the list of all measurements.
"""

from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from experimentations.models import Measurement


def _ranked(experimentation, *order):
    return (
        Measurement.objects.filter(indicator__experimentation=experimentation)
        .select_related("company")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("indicator_id"), F("company_id")],
                order_by=list(order),
            )
        )
        .filter(rank=1)
    )


def progress(before, after, target):
    """Where ``after`` stands between ``before`` (0 %) and ``target`` (100 %), and its word."""
    if after is None:
        return None, "unmeasured"
    if before is None or target is None or target == before:
        return None, "measured"
    share = (after - before) / (target - before) * 100
    if share >= 100:
        state = "reached"
    elif share > 0:
        state = "progressing"
    elif share == 0:
        state = "unchanged"
    else:
        state = "worse"
    return share, state


def _comparison(indicator, before, after, first_date=None):
    share, state = progress(before, after.value if after else None, indicator.target)
    return {
        "before": before,
        "before_date": first_date,
        "after": after.value if after else None,
        "after_date": after.measured_on if after else None,
        "change": (after.value - before) if after and before is not None else None,
        "share": share,
        # For a <progress> bar: clamped to 0–100, formatted for HTML (no French comma).
        "bar": f"{max(Decimal(0), min(Decimal(100), share)):.0f}" if share is not None else None,
        "state": state,
    }


def summary(experimentation) -> dict:
    indicators = list(experimentation.indicators.order_by("position", "name", "pk"))
    latest = {
        (m.indicator_id, m.company_id): m
        for m in _ranked(experimentation, F("measured_on").desc(), F("pk").desc())
    }
    first = {
        (m.indicator_id, m.company_id): m
        for m in _ranked(experimentation, F("measured_on").asc(), F("pk").asc())
    }
    overall = []
    by_indicator = []
    for indicator in indicators:
        overall.append(
            {
                "indicator": indicator,
                **_comparison(indicator, indicator.baseline, latest.get((indicator.pk, None))),
            }
        )
        companies = []
        for (indicator_id, company_id), after in latest.items():
            if indicator_id != indicator.pk or company_id is None:
                continue
            earliest = first[(indicator_id, company_id)]
            # A company measured once is compared with the indicator's baseline.
            if earliest.pk != after.pk:
                before, before_date = earliest.value, earliest.measured_on
            else:
                before, before_date = indicator.baseline, None
            companies.append(
                {"company": after.company, **_comparison(indicator, before, after, before_date)}
            )
        companies.sort(key=lambda row: row["company"].name.casefold())
        by_indicator.append({"indicator": indicator, "companies": companies})
    return {
        "indicators": indicators,
        "overall": overall,
        "by_indicator": by_indicator,
        "measurements": list(
            Measurement.objects.filter(indicator__experimentation=experimentation)
            .select_related("indicator", "company")
            .order_by("indicator__position", "indicator__name", "measured_on", "pk")
        ),
    }
