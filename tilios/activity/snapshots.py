"""The evaluation's SQL (one statement, GROUP BY place) and the monthly snapshots of the window aggregates
that keep it fast for every place."""
import datetime

from django.db import connection, transaction
from django.db.models import Q

from tilios.policy.models import Programme

from .models import ActivityReport, BandScheme, WindowSnapshot, month_index
from .periods import TREND_MONTHS, UNKNOWN, add_months, month_end, today
from .schemes import band_case


def _d(day):
    return connection.ops.adapt_datefield_value(day)


ROW_COLUMNS = ("place_id", "band", "reports", "reported_months", "empty_months", "total", "stat", "max_regular",
               "last_end", "used", "available", "tn", "tx", "ty", "txy", "txx", "commune_id", "in_metropole",
               "departement_id")
# One row per place of its reports over a window: what `WindowSummary` stores and `_aggregate_sql` computes.
AGGREGATE_COLUMNS = ("place_id", "reports", "reported_months", "empty_months", "total", "median_regular",
                     "max_regular", "last_end", "used", "avail", "tn", "tx", "ty", "txy", "txx")
# Past this many places whose window differs from the snapshot's, the snapshot is not worth patching.
DIRTY_LIMIT = 5000
TERRITORY_COLUMNS = {"region": "region_id", "departement": "departement_id"}
# Snapshots kept (each write refreshes the place's row in every snapshot whose window holds the report).
MAX_SNAPSHOTS = 24


def _aggregate_sql(on, window_months, median, place_filter="", filter_params=()):
    """CTEs `w` (the reports whose period ended in the window) and `agg` (AGGREGATE_COLUMNS, one row per
    place); returns (sql, params). `place_filter` is an `AND …` on `place_id`."""
    window_after = add_months(on, -window_months)  # reports whose period ended after this day…
    recent_after = add_months(on, -TREND_MONTHS)
    # One window (one sort) for both the rank and the count of each place's reports.
    rank = ", ROW_NUMBER() OVER pw AS rn, COUNT(*) OVER pw AS n" if median else ""
    window = (" WINDOW pw AS (PARTITION BY place_id ORDER BY regular_users"
              " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)") if median else ""
    median_sql = ("CAST(AVG(CASE WHEN w.rn IN ((w.n + 1) / 2, (w.n + 2) / 2) THEN w.r END) AS FLOAT)" if median
                  else "CAST(NULL AS FLOAT)")
    sql = f"""w AS MATERIALIZED (
  SELECT place_id, regular_users AS r, period_end, months, month_index - %s AS x,
         regular_users + occasional_visits + COALESCE(desk_days_used, 0) + events AS a,
         CASE WHEN desk_days_available IS NULL THEN NULL ELSE desk_days_used END AS used,
         CASE WHEN desk_days_used IS NULL THEN NULL ELSE desk_days_available END AS avail,
         CASE WHEN period_end > %s THEN 1 ELSE 0 END AS recent{rank}
  FROM activity_activityreport
  WHERE period_end > %s AND period_end <= %s {place_filter}{window}
), agg AS MATERIALIZED (
  SELECT w.place_id, COUNT(*) AS reports, SUM(w.months) AS reported_months,
         SUM(CASE WHEN w.a = 0 THEN w.months ELSE 0 END) AS empty_months, SUM(w.a) AS total,
         {median_sql} AS median_regular, MAX(w.r) AS max_regular, MAX(w.period_end) AS last_end,
         SUM(w.used) AS used, SUM(w.avail) AS avail,
         SUM(w.recent) AS tn, SUM(w.recent * w.x) AS tx, SUM(w.recent * w.r) AS ty,
         SUM(w.recent * w.x * w.r) AS txy, SUM(w.recent * w.x * w.x) AS txx
  FROM w GROUP BY w.place_id
)"""
    return sql, [month_index(on), _d(recent_after), _d(window_after), _d(on), *filter_params]


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


def evaluation_sql(scheme, on, universe=None, snapshot=None, changed=()):
    """The statement behind every band: one row per place of the universe (ROW_COLUMNS).

    `universe`: None (all published places), ("territory", (level, code)) (those of a région or a
    département), ("programme", id: its places, a merged one standing for the place it went into) or
    ("places", [ids]); a programme's places are those it had taken in by `on`. With a `snapshot`
    (see `snapshot_for`), places read their aggregate from it, except the `changed` ones, whose window
    differs from the snapshot's and which are aggregated from their reports."""
    median = scheme.statistic == BandScheme.Statistic.MEDIAN
    if universe is None or universe[0] == "territory":  # a merged place counts as the one it went into
        where_sql, universe_params = "p.is_published AND p.merged_into_id IS NULL", []
        if universe is not None:
            level, code = universe[1]
            where_sql += f" AND p.{TERRITORY_COLUMNS[level]} = %s"
            universe_params = [code]
        universe_sql = f"SELECT p.id FROM places_place p WHERE {where_sql}"
    elif universe[0] == "programme":
        table = Programme.places.through._meta.db_table
        # Two levels: a place merged into one that was merged in turn (a merge never targets a merged place).
        universe_sql = (f"SELECT COALESCE(k.merged_into_id, m.merged_into_id, m.id) FROM {table} t "
                        f"JOIN places_place m ON m.id = t.place_id LEFT JOIN places_place k ON k.id = m.merged_into_id "
                        f"WHERE t.programme_id = %s AND (t.since IS NULL OR t.since <= %s)")
        universe_params = [universe[1], _d(on)]  # as Programme.places_on: one that left since still counts
    else:
        ids = [int(i) for i in universe[1]] or [0]
        universe_sql, universe_params = _placeholders(ids), ids
    if universe is not None and universe[0] != "territory":
        where_sql = f"p.id IN ({universe_sql})"
    columns = ", ".join(AGGREGATE_COLUMNS)
    if snapshot is None:
        place_filter = "" if universe is None else f"AND place_id IN ({universe_sql})"
        aggregate, params = _aggregate_sql(on, scheme.window_months, median, place_filter, universe_params
                                           if universe is not None else ())
        source, source_params = "SELECT * FROM agg", []
    else:
        changed = sorted(changed)
        place_filter = f"AND place_id IN ({_placeholders(changed)})" if changed else "AND 1 = 0"
        aggregate, params = _aggregate_sql(on, scheme.window_months, median, place_filter, changed)
        source = (f"SELECT {columns} FROM agg UNION ALL SELECT {columns} FROM activity_windowsummary "
                  f"WHERE snapshot_id = %s" + (f" AND place_id NOT IN ({_placeholders(changed)})" if changed else "")
                  + ("" if universe is None else f" AND place_id IN ({universe_sql})"))
        source_params = [snapshot.pk, *changed, *(universe_params if universe is not None else ())]
    stat = "s.median_regular" if median else "CAST(s.max_regular AS FLOAT)"
    case_sql, case_params = band_case(scheme, _d(add_months(on, -scheme.unknown_after_months)), stat)
    sql = f"""
WITH {aggregate}, s AS ({source})
SELECT p.id, {case_sql} AS band, s.reports, s.reported_months, s.empty_months, s.total, {stat} AS stat,
       s.max_regular, s.last_end, s.used, s.avail, s.tn, s.tx, s.ty, s.txy, s.txx,
       p.commune_id, p.in_metropole, p.departement_id
FROM places_place p LEFT JOIN s ON s.place_id = p.id
WHERE {where_sql}"""
    return sql, params + source_params + case_params + universe_params


def _snapshot(scheme, on, universe):
    """All places or a territory's: the month's snapshot, built if missing; a programme: the snapshot if
    there is one; a few places: their reports (cheaper than looking for a snapshot)."""
    if universe is not None and universe[0] == "places":
        return None, ()
    return snapshot_for(scheme, on, build=universe is None or universe[0] == "territory")


def evaluation_rows(scheme, on, universe=None):
    sql, params = evaluation_sql(scheme, on, universe, *_snapshot(scheme, on, universe))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(ROW_COLUMNS, row)) for row in cursor.fetchall()]


def band_distribution(scheme, on, universe=None):
    """{band code: number of places}, counted in SQL (GROUP BY band over the per-place aggregate)."""
    sql, params = evaluation_sql(scheme, on, universe, *_snapshot(scheme, on, universe))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT band, COUNT(*) FROM ({sql}) q GROUP BY band", params)
        return dict(cursor.fetchall())


# --- snapshots of the window aggregates ----------------------------------------------------------

def snapshot_date(on):
    """The last month end on or before `on`: the day a snapshot serving `on` is taken."""
    return on if on == month_end(on) else on.replace(day=1) - datetime.timedelta(days=1)


def snapshot_for(scheme, on, build=False):
    """(snapshot, changed places) to evaluate `on` with, or (None, ()) to read the reports.

    A snapshot taken at the month end M gives, for any day D of the next month, the same aggregate for
    every place but those with a report whose period ended in (M, D] (entering the window), in
    (M − window, D − window] (leaving it) or in (M − 6 months, D − 6 months] (crossing the trend's
    start): those are aggregated from their reports. `build` takes a missing snapshot (all places
    evaluated: it pays once for every later evaluation of that month)."""
    as_of = snapshot_date(on)
    if as_of > today():
        return None, ()
    snapshot = WindowSnapshot.objects.filter(window_months=scheme.window_months, as_of=as_of).first()
    if snapshot is None:
        if not build:
            return None, ()
        snapshot = build_snapshot(scheme.window_months, as_of)
    if on == as_of:
        return snapshot, ()
    boundaries = Q(pk__in=[])
    for months in (0, scheme.window_months, TREND_MONTHS):
        boundaries |= Q(period_end__gt=add_months(as_of, -months), period_end__lte=add_months(on, -months))
    changed = set(ActivityReport.objects.filter(boundaries).order_by().values_list("place_id", flat=True)
                  .distinct()[:DIRTY_LIMIT + 1])
    return (None, ()) if len(changed) > DIRTY_LIMIT else (snapshot, changed)


def build_snapshot(window_months, as_of):
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers wait until the snapshot is committed, then keep it in step (see `refresh_snapshots`).
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE activity_activityreport IN SHARE MODE")
        snapshot, created = WindowSnapshot.objects.get_or_create(window_months=window_months, as_of=as_of)
        if created:
            snapshot.places = _fill_snapshot(snapshot)
            snapshot.save(update_fields=["places"])
            # Dropped here, writers held off: none is between its report write and its snapshot refresh.
            for old in WindowSnapshot.objects.order_by("-built_at", "-pk")[MAX_SNAPSHOTS:]:
                old.delete()
    if created and connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # 10⁵ new rows: plan the reads with fresh statistics
            cursor.execute("ANALYZE activity_windowsummary")
    return snapshot


def _fill_snapshot(snapshot, place_ids=None):
    """Insert the aggregates of `place_ids` (None: every place) into `snapshot`; returns the rows added."""
    if place_ids is None:
        chunks = [None]
    else:
        place_ids = sorted(place_ids)
        chunks = [place_ids[i:i + 2000] for i in range(0, len(place_ids), 2000)]
    added = 0
    with connection.cursor() as cursor:
        for chunk in chunks:
            place_filter = f"AND place_id IN ({_placeholders(chunk)})" if chunk else ""
            aggregate, params = _aggregate_sql(snapshot.as_of, snapshot.window_months, True, place_filter, chunk or ())
            if chunk:
                cursor.execute(f"DELETE FROM activity_windowsummary WHERE snapshot_id = %s "
                               f"AND place_id IN ({_placeholders(chunk)})", [snapshot.pk, *chunk])
            columns = ", ".join(AGGREGATE_COLUMNS)
            cursor.execute(f"INSERT INTO activity_windowsummary (snapshot_id, {columns}) "
                           f"WITH {aggregate} SELECT %s, {columns} FROM agg", [*params, snapshot.pk])
            added += max(cursor.rowcount, 0)
    return added


def refresh_snapshots(period_ends):
    """Keep the snapshots in step after reports were written or deleted: `period_ends` maps a place to the
    ends of the periods touched (before and after an edit). Runs in the writer's transaction."""
    for snapshot in WindowSnapshot.objects.all():
        start = add_months(snapshot.as_of, -snapshot.window_months)
        places = [place for place, ends in period_ends.items() if any(start < end <= snapshot.as_of for end in ends)]
        if places:
            _fill_snapshot(snapshot, places)


def _slope(row):
    n = row.get("tn") or 0
    if n < 2:
        return None
    sx, sy, sxy, sxx = (float(row[k] or 0) for k in ("tx", "ty", "txy", "txx"))
    denominator = n * sxx - sx * sx
    return None if denominator == 0 else round((n * sxy - sx * sy) / denominator, 3)


def _as_date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def row_indicators(row, scheme, labels):
    known = row["band"] != UNKNOWN
    used, available = row.get("used"), row.get("available")
    return {
        "band": row["band"],
        "band_label": labels.get(row["band"], row["band"]),
        "regular_users": (round(float(row["stat"]), 1) if row["stat"] is not None else None) if known else None,
        "max_regular_users": row["max_regular"] if known else None,
        "occupancy_rate": round(float(used) / float(available), 4) if known and used is not None and available else None,
        "trend_regular_users_per_month": _slope(row) if known else None,
        "reported_months": int(row["reported_months"] or 0),
        "months_without_activity": int(row["empty_months"] or 0) if known else None,
        "months_without_report": max(0, scheme.window_months - int(row["reported_months"] or 0)),
        "last_report_in_window": _as_date(row["last_end"]),
    }


def scheme_out(scheme):
    return {"code": scheme.code, "version": scheme.version, "label": scheme.label, "statistic": scheme.statistic,
            "window_months": scheme.window_months, "unknown_after_months": scheme.unknown_after_months,
            "bands": scheme.bands, "source": scheme.source}


def window_of(scheme, on):
    return {"start": add_months(on, -scheme.window_months) + datetime.timedelta(days=1), "end": on,
            "months": scheme.window_months}


