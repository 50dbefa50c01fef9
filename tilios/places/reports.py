"""« Ce lieu a fermé », « une information est fausse »: what anyone can say of a place, account or not.

A report is not an edit: it waits in the review queue (trusted contributors and up close it, « corrigé »
or « écarté », with a note) and the place's managers are told by e-mail at once, since they know first.
The form's honeypot and rate limits stand in for the account a report does not need."""
import logging

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tilios.accounts import permissions
from tilios.revisions.services import NotAllowed

from .models import Report

log = logging.getLogger(__name__)
REVIEWERS_ONLY = gettext_lazy("Les signalements sont traités par les contributeurs de confiance et les modérateurs.")


def submit(place, kind, message, email="", user=None):
    """A new open report; on a merged record, it goes to the place that record now belongs to.
    Raises ValidationError naming the field at fault."""
    for _hop in range(10):  # merges form chains, never loops; the bound only guards against a damaged base
        if not place.merged_into_id:
            break
        place = place.merged_into
    report = Report(place=place, kind=kind, message=(message or "").strip(), email=(email or "").strip(),
                    reporter=user if user is not None and user.is_authenticated else None)
    report.full_clean(exclude=["reporter", "closed_by"])
    report.save()
    told = notify_managers(report)
    log.info("report %s on place %s (%s), %s manager(s) told", report.pk, place.public_id, kind, told)
    return report


def notify_managers(report):
    """One e-mail to the managers of the place; how many were written to (a mail failure is logged,
    never lost: the report is in the queue either way)."""
    place = report.place
    recipients = sorted({m.user.email for m in place.managers.select_related("user")
                         if m.user.is_active and m.user.email})
    if not recipients:
        return 0
    subject = _("Tilios : signalement sur « %(name)s »") % {"name": place.name}
    lines = [_("Quelqu’un signale sur Tilios : %(kind)s.") % {"kind": report.get_kind_display()}, "",
             report.message, ""]
    if report.email:
        lines.append(_("Adresse pour répondre : %(email)s") % {"email": report.email})
    lines.append(_("La fiche : %(path)s") % {"path": place.get_absolute_url()})
    try:
        send_mail(subject, "\n".join(lines), None, recipients)
    except Exception:  # an unreachable mail server must not lose the report
        log.exception("report %s: the managers of %s could not be written to", report.pk, place.public_id)
        return 0
    return len(recipients)


def queue():
    return Report.objects.filter(status=Report.Status.OPEN).select_related("place", "reporter")


@transaction.atomic
def close(report, user, status, note=""):
    if not permissions.can_review(user):
        raise NotAllowed(REVIEWERS_ONLY)
    if status not in (Report.Status.RESOLVED, Report.Status.DISMISSED):
        raise ValidationError({"status": [_("« corrigé » ou « écarté » attendu")]})
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != Report.Status.OPEN:
        raise ValidationError({"status": [_("ce signalement a déjà été traité")]})
    report.status, report.closed_by, report.closed_at, report.note = status, user, timezone.now(), note[:500]
    report.save()
    log.info("report %s closed as %s by %s", report.pk, status, user.username)
    return report
