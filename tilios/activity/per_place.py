"""One place's activity: its indicators, its reports as data, its monthly series and chart."""
import datetime

from django.db.models import Max
from django.utils.translation import gettext as _

from .models import ActivityReport, month_index
from .periods import UNKNOWN, add_months, check_date, today
from .schemes import band_labels, current_scheme
from .snapshots import evaluation_rows, row_indicators, window_of


def place_indicators(place, on=None, scheme=None):
    on = check_date(on) or today()
    scheme = scheme or current_scheme()
    labels = band_labels(scheme)
    row = evaluation_rows(scheme, on, ("places", [place.pk]))[0]
    last = ActivityReport.objects.filter(place=place, period_end__lte=on).aggregate(last=Max("period_end"))["last"]
    latest = (ActivityReport.objects.filter(place=place, period_end__lte=on).order_by("-period_end").first())
    return {
        "place": place.public_id, "on": on, "window": window_of(scheme, on), "scheme": f"{scheme.code} v{scheme.version}",
        "status": "unknown" if row["band"] == UNKNOWN else "known",
        "last_report": last,
        "latest": report_out(latest, public=True) if latest else None,
        **row_indicators(row, scheme, labels),
    }


def report_out(report, public=True):
    return {
        "id": report.pk, "period_start": report.period_start, "period_end": report.period_end,
        "regular_users": report.regular_users, "occasional_visits": report.occasional_visits,
        "desk_days_used": report.desk_days_used, "desk_days_available": report.desk_days_available,
        "occupancy_rate": round(report.occupancy, 4) if report.occupancy is not None else None,
        "events": report.events, "reported_by_kind": report.reported_by_kind,
        "reported_by": report.reported_by.username if report.reported_by_id and report.reported_by else None,
        "reliability": report.reliability, "source": report.source, "note": report.note, "version": report.version,
    }


def series(place, on=None, months=24):
    """The place's reports ending in the last `months` months, one slot per calendar month (None = no report)."""
    on = on or today()
    last = month_index(on)
    first = last - months + 1
    slots = {i: None for i in range(first, last + 1)}
    for report in ActivityReport.objects.filter(place=place, period_end__lte=on,
                                                period_end__gt=add_months(on, -months)):
        if first <= report.month_index <= last:
            slots[report.month_index] = report
    return [(datetime.date(i // 12, i % 12 + 1, 1), slots[i]) for i in range(first, last + 1)]


def chart(place, on=None, months=24, width=480, height=140):
    """Geometry of a small SVG chart: bars of regular users per month, a line of occupancy (0–100 %)."""
    slots = series(place, on, months)
    top, bottom, left, right = 14, 20, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([r.regular_users for _, r in slots if r is not None] + [1])
    scale_max = max(5, peak)
    step = plot_w / len(slots)
    bars, missing, points, labels = [], [], [], []
    for i, (month, report) in enumerate(slots):
        x = left + i * step
        if month.month == 1 or i == 0:
            labels.append({"x": round(x + 1, 1), "text": month.strftime("%m/%Y")})
        if report is None:
            missing.append({"x": round(x + step * 0.2, 1), "y": top + plot_h - 4, "w": round(step * 0.6, 1),
                            "title": month.strftime("%m/%Y") + " : " + _("pas de rapport")})
            continue
        h = plot_h * report.regular_users / scale_max
        bars.append({"x": round(x + step * 0.15, 1), "y": round(top + plot_h - h, 1), "w": round(step * 0.7, 1),
                     "h": round(max(h, 0.5), 1),
                     "title": _("%(month)s : %(n)s usagers réguliers") % {"month": month.strftime("%m/%Y"),
                                                                          "n": report.regular_users}
                     + (_(", occupation %(pct)s %%") % {"pct": round(100 * report.occupancy)}
                        if report.occupancy is not None else "")})
        if report.occupancy is not None:
            points.append(f"{x + step / 2:.1f},{top + plot_h * (1 - report.occupancy):.1f}")
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "bottom_y": top + plot_h, "right_x": left + plot_w, "scale_max": scale_max, "bars": bars,
            "missing": missing, "occupancy": " ".join(points), "labels": labels,
            "has_data": bool(bars), "months": months}


