"""« Ce lieu a fermé / une information est fausse »: anyone reports, without an account; reviewers close reports;
the place's managers are told by e-mail."""
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from people import make_user

from tilios.accounts.models import PlaceManager, Role
from tilios.places.models import Place, Report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]

GOOD = {"kind": "closed", "message": "Fermé depuis mars 2024, le local est à louer.", "email": "voisine@example.org"}


@pytest.fixture
def place():
    return Place.objects.live().filter(latitude__isnull=False).first()


def report_url(place):
    return reverse("web:place_report", args=[place.public_id])


def test_anyone_reports_from_the_place_page_without_an_account(client, place):
    page = client.get(place.get_absolute_url()).content.decode()
    assert report_url(place) in page and "sans compte" in page
    form = client.get(report_url(place))
    assert form.status_code == 200 and 'name="website"' in form.content.decode()
    response = client.post(report_url(place), GOOD, follow=True)
    assert response.redirect_chain[-1][0] == place.get_absolute_url()
    assert "transmis aux relecteurs" in response.content.decode()
    report = Report.objects.get(place=place)
    assert (report.kind, report.email, report.reporter, report.status) == ("closed", GOOD["email"], None, "open")
    assert report.message == GOOD["message"]
    place.refresh_from_db()
    assert place.status == Place.Status.OPEN  # a report is not an edit: the record changes once checked


def test_a_signed_in_reporter_is_kept_with_the_report(place):
    user = make_user("lectrice")
    client = Client()
    client.force_login(user)
    client.post(report_url(place), {**GOOD, "email": ""})
    assert Report.objects.get(place=place).reporter == user


@pytest.mark.parametrize("data, field", [
    ({**GOOD, "message": ""}, "message"),
    ({**GOOD, "message": "x" * 2001}, "message"),
    ({**GOOD, "email": "pas-une-adresse"}, "email"),
    ({**GOOD, "kind": "spam"}, "kind"),
])
def test_a_bad_report_says_which_field_and_stores_nothing(client, place, data, field):
    response = client.post(report_url(place), data)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not Report.objects.exists()


def test_the_honeypot_stops_bots(client, place):
    response = client.post(report_url(place), {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 400 and not Report.objects.exists()


def test_reports_are_rate_limited_per_address(client, place):
    statuses = [client.post(report_url(place), GOOD).status_code for _ in range(12)]
    assert statuses[:10] == [302] * 10 and statuses[10:] == [429, 429]
    assert Report.objects.count() == 10


def test_a_report_on_a_merged_record_goes_to_the_place_it_joined(client, place):
    merged = Place.objects.live().exclude(pk=place.pk).first()
    Place.objects.filter(pk=merged.pk).update(merged_into=place)
    response = client.get(report_url(merged))
    assert response.status_code == 302 and response["Location"] == report_url(place)


def test_the_managers_of_the_place_are_told_by_mail(client, place):
    system = make_user("systeme", Role.ADMIN)
    for name in ("gerante", "gerant"):
        PlaceManager.objects.create(user=make_user(name), place=place, linked_by=system)
    inactive = make_user("ancien-gerant")
    inactive.is_active = False
    inactive.save()
    PlaceManager.objects.create(user=inactive, place=place, linked_by=system)
    client.post(report_url(place), GOOD)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["gerant@example.org", "gerante@example.org"]
    assert place.name in message.subject and GOOD["message"] in message.body and GOOD["email"] in message.body
    assert place.get_absolute_url() in message.body


def test_no_manager_no_mail(client, place):
    client.post(report_url(place), GOOD)
    assert mail.outbox == [] and Report.objects.count() == 1


def test_reviewers_see_the_queue_and_close_reports(client, place):
    client.post(report_url(place), {**GOOD, "message": "<script>alert(1)</script> fermé"})
    report = Report.objects.get()
    queue = reverse("web:review_reports")
    close = reverse("web:review_report_close", args=[report.pk])
    assert client.get(queue)["Location"].startswith(reverse("web:login"))
    contributor = Client()
    contributor.force_login(make_user("contributrice"))
    assert contributor.get(queue).status_code == 403
    assert contributor.post(close, {"status": "resolved"}).status_code == 403
    reviewer_user = make_user("relectrice", Role.TRUSTED)
    reviewer = Client()
    reviewer.force_login(reviewer_user)
    body = reviewer.get(queue).content.decode()
    assert place.name in body and GOOD["email"] in body and "signalements (1)" in body
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert reviewer.post(close, {"status": "resolved", "note": "fiche corrigée"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.closed_by, report.note) == ("resolved", reviewer_user, "fiche corrigée")
    assert report.closed_at is not None
    # Closed once: a second decision is refused, the first kept.
    reviewer.post(close, {"status": "dismissed"})
    report.refresh_from_db()
    assert report.status == "resolved"
    assert "Aucun signalement à traiter" in reviewer.get(queue).content.decode()


def test_the_api_takes_anonymous_reports_with_clear_errors(client, place):
    url = f"/api/places/{place.public_id}/reports"
    response = client.post(url, {"kind": "hours", "message": "Fermé le lundi maintenant."},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json() == {"id": Report.objects.get().pk, "place": place.public_id, "kind": "hours",
                               "status": "open"}
    bad = client.post(url, {"kind": "hours", "message": "x", "email": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and "email" in bad.content.decode()
    unknown = client.post(url, {"kind": "nope", "message": "x"}, content_type="application/json")
    assert unknown.status_code == 400 and "kind" in unknown.content.decode()
    assert client.post("/api/places/inconnu/reports", {"kind": "hours", "message": "x"},
                       content_type="application/json").status_code == 404
    statuses = [client.post(url, {"kind": "other", "message": "encore"}, content_type="application/json").status_code
                for _ in range(12)]
    assert 429 in statuses and Report.objects.count() <= 10


def test_the_command_line_lists_and_closes_reports(client, place):
    client.post(report_url(place), GOOD)
    report = Report.objects.get()
    out = io.StringIO()
    call_command("review", "reports", stdout=out)
    assert f"#{report.pk}" in out.getvalue() and place.name in out.getvalue() and "Ce lieu a fermé" in out.getvalue()
    make_user("contributeur")
    with pytest.raises(CommandError, match="refusé"):
        call_command("review", "close-report", str(report.pk), "resolved", "--user", "contributeur")
    make_user("relecteur", Role.TRUSTED)
    out = io.StringIO()
    call_command("review", "close-report", str(report.pk), "dismissed", "--note", "toujours ouvert", "--user",
                 "relecteur", stdout=out)
    report.refresh_from_db()
    assert report.status == "dismissed" and report.note == "toujours ouvert" and "écarté" in out.getvalue()
