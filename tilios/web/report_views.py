"""Reporting a closed place or a wrong fact, without an account, and the queue where reviewers close reports."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tilios.accounts import permissions
from tilios.places import reports
from tilios.places.models import Report

from .common import add_errors, paginate, rate_limited, role_required
from .forms import ReportForm
from .records import PLACE, find
from .resolution_views import review_counts

reviewers_only = role_required(permissions.can_review, reports.REVIEWERS_ONLY)


@rate_limited("report")
def place_report(request, public_id):
    place = find(PLACE, public_id, request.user)
    if place.merged_into_id:
        return redirect("web:place_report", place.merged_into.public_id)
    form = ReportForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reports.submit(place, data["kind"], data["message"], data["email"], request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Merci. Votre signalement est transmis aux relecteurs et aux "
                                        "gestionnaires du lieu ; la fiche changera quand ils l’auront vérifié."))
            return redirect(place)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/place_report.html", {"place": place, "form": form}, status=status)


@reviewers_only
def queue(request):
    page = paginate(request, reports.queue())
    return render(request, "web/review/reports.html", {"page_obj": page, "counts": review_counts(),
                                                       "current": "reports", "statuses": Report.Status})


@require_POST
@reviewers_only
@rate_limited("review")
def close(request, report_id):
    report = get_object_or_404(Report, pk=report_id)
    try:
        reports.close(report, request.user, request.POST.get("status", ""), request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Signalement traité."))
    return redirect("web:review_reports")
