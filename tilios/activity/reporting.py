"""Who may report, and the writes of activity reports (submit, edit, delete, move on a merge)."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.revisions.models import ModerationAction

from .evaluation import jsonable
from .models import ActivityReport
from .per_place import report_out
from .periods import COUNT_FIELDS, OPTIONAL_COUNTS, month_end, parse_date, today
from .snapshots import refresh_snapshots


def can_import(user):
    """Who may upload a survey: moderators, and the managers of at least one place (for their places)."""
    if user is None or not user.is_authenticated or not permissions.can_contribute(user):
        return False
    return permissions.at_least(user, Role.MODERATOR) or user.managed_places.exists()


def can_report(user, place):
    """The place's managers and the moderators (not blocked) may report a place's activity."""
    if user is None or not user.is_authenticated or not permissions.can_contribute(user):
        return False
    return permissions.at_least(user, Role.MODERATOR) or permissions.manages(user, place)


def validate(report, on=None):
    """Raise a ValidationError naming each wrong field. `on` is today (tests may pass another day)."""
    on = on or today()
    errors = {}
    for name in COUNT_FIELDS:
        value = getattr(report, name)
        if value is None:
            if name not in OPTIONAL_COUNTS:
                errors[name] = _("%(field)s : valeur obligatoire") % {"field": _label(name)}
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = _("%(field)s : un nombre entier est attendu") % {"field": _label(name)}
        elif value < 0:
            errors[name] = _("%(field)s : un nombre ne peut pas être négatif (%(value)s)") % {
                "field": _label(name), "value": value}
    used, available = report.desk_days_used, report.desk_days_available
    if "desk_days_used" not in errors and "desk_days_available" not in errors and used is not None \
            and available is not None and used > available:
        errors["desk_days_used"] = _("%(field)s : %(used)s jours-postes occupés pour %(available)s disponibles — "
                                     "l’occupation ne peut dépasser la capacité") % {
            "field": _label("desk_days_used"), "used": used, "available": available}
    start, end = report.period_start, report.period_end
    if start is None:
        errors["period_start"] = _("début de la période : date obligatoire")
    if end is None:
        errors["period_end"] = _("fin de la période : date obligatoire")
    if start and end:
        if end < start:
            errors["period_end"] = _("fin de la période : le %(end)s est avant le début (%(start)s)") % {
                "end": end.isoformat(), "start": start.isoformat()}
        elif end > on:
            errors["period_end"] = _("fin de la période : le %(end)s est dans le futur ; on ne déclare qu’une "
                                     "période écoulée (au plus tard le %(today)s)") % {
                "end": end.isoformat(), "today": on.isoformat()}
        elif report.place_id:
            clash = (ActivityReport.objects.filter(place_id=report.place_id, period_start__lte=end,
                                                   period_end__gte=start)
                     .exclude(pk=report.pk).order_by("period_start").first())
            if clash is not None:
                errors["period_start"] = _("période : du %(start)s au %(end)s chevauche le rapport déjà enregistré "
                                           "pour ce lieu du %(other_start)s au %(other_end)s") % {
                    "start": start.isoformat(), "end": end.isoformat(),
                    "other_start": clash.period_start.isoformat(), "other_end": clash.period_end.isoformat()}
    if report.reliability not in ActivityReport.Reliability.values:
        errors["reliability"] = _("fiabilité : valeur inconnue « %(value)s » (declared, verified, estimated)") % {
            "value": str(report.reliability)[:40]}
    if report.reported_by_kind not in ActivityReport.ReportedBy.values:
        errors["reported_by_kind"] = _("déclaré par : valeur inconnue « %(value)s »") % {
            "value": str(report.reported_by_kind)[:40]}
    if errors:
        raise ValidationError(errors)


def _label(name):
    return str(ActivityReport._meta.get_field(name).verbose_name)


def _coerce(data):
    """Figures from a form, JSON or CSV: integers stay, digit strings become integers, the rest stays
    as is so that `validate` names the field."""
    out = {}
    for name in COUNT_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            text = value.strip()
            value = None if text == "" else (int(text) if text.lstrip("-").isdigit() else text)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    for name in ("occasional_visits", "events"):
        if out[name] is None and name not in data:
            out[name] = 0
    return out


def build_report(place, data, user=None, kind=None):
    """An unsaved report from plain data (period_end defaults to the end of period_start's month)."""
    errors = {}
    dates = {}
    for name in ("period_start", "period_end"):
        try:
            dates[name] = parse_date(data.get(name), name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if dates.get("period_start") and not dates.get("period_end") and "period_end" not in errors:
        dates["period_end"] = month_end(dates["period_start"])
    if errors:
        raise ValidationError(errors)
    if kind is None:
        kind = (ActivityReport.ReportedBy.MODERATOR
                if user is not None and not permissions.manages(user, place) else ActivityReport.ReportedBy.MANAGER)
    return ActivityReport(place=place, reported_by=user if user is not None and user.is_authenticated else None,
                          reported_by_kind=data.get("reported_by_kind") or kind,
                          reliability=data.get("reliability") or ActivityReport.Reliability.DECLARED,
                          source=(data.get("source") or "")[:300], note=(data.get("note") or "")[:500],
                          **dates, **_coerce(data))


def submit(place, data, user, on=None):
    """Save a report for `place` from `user` (a manager of the place or a moderator)."""
    if not can_report(user, place):
        raise PermissionDenied(_("seuls les gestionnaires de ce lieu et les modérateurs déclarent son activité"))
    report = build_report(place, data, user)
    return save(report, on)


def save(report, on=None, expected_version=None, refresh=True):
    """Validate and write `report` (new, or an existing one with new values) and keep the snapshots in step.

    `expected_version`: the version the writer read; refused with ReportConflict if it changed since.
    `refresh=False` leaves the snapshots to the caller (imports refresh once for all their places)."""
    with transaction.atomic():
        stored = _lock(report, expected_version)
        ends = {report.period_end}
        if stored is not None:
            report.version = stored.version + 1
            ends.add(stored.period_end)
        validate(report, on)
        report.save()
        if refresh:
            refresh_snapshots({report.place_id: ends})
    return report


def _lock(report, expected_version=None):
    """Serialise the writers of one place (two overlapping periods cannot both pass the check) and return
    the stored version of `report` (None for a new one), refused if it is gone or changed since
    `expected_version` (None: not checked). Runs in the caller's transaction."""
    Place.objects.select_for_update().filter(pk=report.place_id).exists()
    if report.pk is None:
        return None
    stored = ActivityReport.objects.filter(pk=report.pk).first()
    if stored is None:
        raise ReportConflict(_("ce rapport a été supprimé entre-temps"))
    if expected_version is not None and stored.version != expected_version:
        raise ReportConflict(_("ce rapport a été modifié entre-temps (version %(now)s, vous avez lu la version "
                               "%(read)s) : relisez-le") % {"now": stored.version, "read": expected_version})
    return stored


class ReportConflict(Exception):
    """The report changed (or disappeared) since the version the writer read."""


EDITABLE = ("period_start", "period_end", *COUNT_FIELDS, "reliability", "note")


def edit(report, data, user, version, on=None):
    """Change a report's figures (the keys of `data` among EDITABLE) as `user`, from the `version` read.

    The previous figures go to the public log with who changed them: nothing is lost."""
    if not can_report(user, report.place):
        raise PermissionDenied(_("seuls les gestionnaires de ce lieu et les modérateurs modifient son activité"))
    values = {name: getattr(report, name) for name in EDITABLE}
    values.update({k: v for k, v in data.items() if k in EDITABLE})
    if "period_start" in data and "period_end" not in data:
        values["period_end"] = None  # a new start without an end: the end of that month
    changed = build_report(report.place, values, user)
    changed.pk, changed.created_at, changed.source = report.pk, report.created_at, report.source
    changed._state.adding = False
    with transaction.atomic():
        save(changed, on, expected_version=version)
        _log(user, changed, "edit", report)
    return changed


def delete(report, user, version=None):
    if not can_report(user, report.place):
        raise PermissionDenied(_("seuls les gestionnaires de ce lieu et les modérateurs suppriment son activité"))
    with transaction.atomic():
        stored = _lock(report, version)  # what is logged and unsnapshotted is what was stored
        _log(user, stored, "delete", stored)
        stored.delete()
        refresh_snapshots({stored.place_id: {stored.period_end}})


def move_reports(source, target, ids=None):
    """Move `source`'s reports (or those of `ids` still there) to `target` when a place is merged into
    another, or back when the merge is undone. A report overlapping one of `target`'s stays where it is
    (the kept place's own figures win); returns the ids moved. Runs in the caller's transaction."""
    reports = ActivityReport.objects.filter(place=source)
    if ids is not None:
        reports = reports.filter(pk__in=ids)
    reports = list(reports)
    if not reports:  # most merges: nothing to move, nothing to refresh
        return []
    taken = list(ActivityReport.objects.filter(place=target).values_list("period_start", "period_end"))
    moved = [r for r in reports if not any(start <= r.period_end and end >= r.period_start for start, end in taken)]
    ActivityReport.objects.filter(pk__in=[r.pk for r in moved]).update(place=target, version=F("version") + 1)
    ends = {r.period_end for r in moved}
    refresh_snapshots({source.pk: ends, target.pk: ends})
    return [r.pk for r in moved]


def on_merge(sender, merge, joined=False, **kwargs):
    """A merged place's reports go to the place it went into (tilios.sources.signals.place_merged); an
    import's join has none to move."""
    if joined:
        return
    moved = move_reports(merge.merged, merge.kept)
    if moved:
        merge.activity_reports = moved
        merge.save(update_fields=["activity_reports"])


def on_merge_undone(sender, merge, **kwargs):
    """Undoing a merge gives back the reports it moved (tilios.sources.signals.merge_undone)."""
    move_reports(merge.kept, merge.merged, merge.activity_reports)


def _log(user, report, operation, before):
    verb = _("modifié") if operation == "edit" else _("supprimé")
    ModerationAction.objects.create(
        actor=user, action=ModerationAction.Action.ACTIVITY, object_id=report.place_id,
        content_type=ContentType.objects.get_for_model(Place),
        reason=_("rapport du %(start)s au %(end)s %(verb)s") % {
            "start": before.period_start.isoformat(), "end": before.period_end.isoformat(), "verb": verb},
        details={"operation": operation, "report": before.pk,
                 "before": jsonable(report_out(before)), "version": before.version})

