"""Activity reports: validation, permissions (API and web), CSRF, XSS, CSV import, indicators."""
import datetime
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from people import make_user

from tilios.accounts.models import ApiToken, PlaceManager, Role
from tilios.activity import importing, per_place, periods, reporting, schemes
from tilios.activity.models import ActivityReport
from tilios.places.models import Place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]
TODAY = datetime.date(2026, 1, 15)


@pytest.fixture
def place():
    return Place.objects.filter(is_published=True).order_by("id").first()


@pytest.fixture
def users(place):
    other = Place.objects.filter(is_published=True).exclude(pk=place.pk).order_by("id").first()
    manager, other_manager = make_user("gestionnaire"), make_user("autre-gestionnaire")
    PlaceManager.objects.create(user=manager, place=place)
    PlaceManager.objects.create(user=other_manager, place=other)
    return {"contributor": make_user("contributeur"), "trusted": make_user("confiance", Role.TRUSTED),
            "manager": manager, "other_manager": other_manager, "moderator": make_user("moderateur", Role.MODERATOR)}


def data(**changes):
    return {"period_start": "2025-11-01", "regular_users": 3, "occasional_visits": 5, "desk_days_used": 30,
            "desk_days_available": 84, "events": 1, **changes}


def report(place, **changes):
    r = reporting.build_report(place, data(**changes), None, ActivityReport.ReportedBy.SURVEY)
    return importing.save(r, TODAY)


# --- validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, words", [
    ({"regular_users": -1}, "regular_users", "négatif"),
    ({"occasional_visits": -3}, "occasional_visits", "négatif"),
    ({"events": -1}, "events", "négatif"),
    ({"desk_days_available": -1}, "desk_days_available", "négatif"),
    ({"desk_days_used": 90}, "desk_days_used", "capacité"),
    ({"period_start": "2026-02-01"}, "period_end", "futur"),
    ({"period_start": "2025-11-01", "period_end": "2025-10-01"}, "period_end", "avant le début"),
    ({"period_start": "2025-13-01"}, "period_start", "date invalide"),
    ({"regular_users": "beaucoup"}, "regular_users", "entier"),
    ({"regular_users": None}, "regular_users", "obligatoire"),
    ({"reliability": "sûr"}, "reliability", "inconnue"),
])
def test_impossible_values_are_refused_naming_the_field(place, changes, field, words):
    with pytest.raises(ValidationError) as caught:
        report(place, **changes)
    messages = caught.value.message_dict
    assert field in messages and words in " ".join(messages[field])
    assert not ActivityReport.objects.filter(place=place).exists()


def test_overlapping_periods_of_one_place_are_refused(place):
    report(place)
    with pytest.raises(ValidationError) as caught:
        report(place, period_start="2025-11-15", period_end="2025-12-14")
    assert "chevauche" in caught.value.message_dict["period_start"][0]
    assert "2025-11-01" in caught.value.message_dict["period_start"][0]
    with pytest.raises(ValidationError):  # the same month again
        report(place)
    other = Place.objects.exclude(pk=place.pk).filter(is_published=True).first()
    report(other)  # another place, the same month: fine
    report(place, period_start="2025-12-01")  # the next month: fine
    assert ActivityReport.objects.filter(place=place).count() == 2


def test_database_constraints_back_the_rules(place):
    from django.db import IntegrityError, transaction

    r = ActivityReport(place=place, period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2025, 1, 31),
                       regular_users=1, desk_days_used=10, desk_days_available=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        r.save()


# --- indicators ------------------------------------------------------------------------------------

def test_indicators_and_unknown_activity(place):
    assert per_place.place_indicators(place, TODAY)["status"] == "unknown"  # no report: unknown, not zero
    for i, regular in enumerate([1, 2, 3, 4, 5, 6]):
        start = periods.add_months(datetime.date(2025, 7, 1), i)
        report(place, period_start=start.isoformat(), regular_users=regular, desk_days_used=regular * 10,
               occasional_visits=0, events=0)
    ind = per_place.place_indicators(place, TODAY)
    assert ind["status"] == "known" and ind["band"] == "regular_1_5"
    assert ind["regular_users"] == 3.5 and ind["max_regular_users"] == 6
    assert ind["occupancy_rate"] == round(210 / (6 * 84), 4)
    assert ind["trend_regular_users_per_month"] == 1.0
    assert ind["months_without_activity"] == 0 and ind["months_without_report"] == 6
    assert ind["last_report"] == datetime.date(2025, 12, 31)
    later = per_place.place_indicators(place, datetime.date(2027, 6, 1))
    assert later["status"] == "unknown" and later["band"] == "unknown" and later["regular_users"] is None
    assert later["last_report"] == datetime.date(2025, 12, 31)


# --- API permissions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("anonymous", 401), ("contributor", 403), ("trusted", 403), ("other_manager", 403),
    ("manager", 201), ("moderator", 201),
])
def test_api_post_permissions(client, place, users, who, status):
    headers = {}
    if who != "anonymous":
        headers["HTTP_AUTHORIZATION"] = "Bearer " + ApiToken.issue(users[who])
    response = client.post(f"/api/places/{place.public_id}/activity", data(), content_type="application/json",
                           **headers)
    assert response.status_code == status, response.content
    assert ActivityReport.objects.filter(place=place).exists() == (status == 201)
    if status == 201:
        kind = "manager" if who == "manager" else "moderator"
        assert response.json()["reported_by_kind"] == kind and response.json()["period_end"] == "2025-11-30"


def test_api_validation_and_reads(client, place, users):
    token = "Bearer " + ApiToken.issue(users["manager"])
    response = client.post(f"/api/places/{place.public_id}/activity", data(desk_days_used=100),
                           content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 400 and "desk_days_used" in response.json()["errors"]
    response = client.post(f"/api/places/{place.public_id}/activity", data(regular_users=-2),
                           content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 400 and "négatif" in response.json()["errors"]["regular_users"][0]
    assert client.post(f"/api/places/{place.public_id}/activity", data(), content_type="application/json",
                       HTTP_AUTHORIZATION=token).status_code == 201
    response = client.post(f"/api/places/{place.public_id}/activity", data(period_start="2025-11-20"),
                           content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 400 and "chevauche" in response.json()["errors"]["period_start"][0]
    listed = client.get(f"/api/places/{place.public_id}/activity").json()
    assert listed["reports"][0]["regular_users"] == 3
    indicators = client.get(f"/api/places/{place.public_id}/indicators", {"on": "2025-12-31"}).json()
    assert indicators["band"] == "regular_1_5" and indicators["status"] == "known"


def test_api_session_write_needs_csrf(place, users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["manager"])
    response = browser.post(f"/api/places/{place.public_id}/activity", data(), content_type="application/json")
    assert response.status_code == 403
    assert not ActivityReport.objects.filter(place=place).exists()


# --- web -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, outcome", [
    ("anonymous", "login"), ("contributor", 403), ("trusted", 403), ("other_manager", 403),
    ("manager", "ok"), ("moderator", "ok"),
])
def test_web_form_permissions(client, place, users, who, outcome):
    if who != "anonymous":
        client.force_login(users[who])
    url = f"/lieux/{place.public_id}/activite/declarer/"
    get = client.get(url)
    post = client.post(url, {**data(), "reliability": "declared", "note": ""})
    if outcome == "login":
        assert get.status_code == 302 and "/compte/connexion/" in get["Location"]
        assert post.status_code == 302 and "/compte/connexion/" in post["Location"]
    elif outcome == 403:
        assert get.status_code == 403 and post.status_code == 403
    else:
        assert get.status_code == 200
        assert post.status_code == 302 and post["Location"].endswith(f"/lieux/{place.public_id}/activite/")
    assert ActivityReport.objects.filter(place=place).exists() == (outcome == "ok")


def test_web_form_shows_field_errors_and_needs_csrf(place, users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["manager"])
    url = f"/lieux/{place.public_id}/activite/declarer/"
    assert browser.post(url, {**data(), "reliability": "declared"}).status_code == 403  # no CSRF token
    page = browser.get(url)
    token = page.cookies["csrftoken"].value
    response = browser.post(url, {**data(desk_days_used=100), "reliability": "declared",
                                  "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert "jours-postes occupés" in response.content.decode() and "capacité" in response.content.decode()
    assert not ActivityReport.objects.filter(place=place).exists()


def test_place_pages_show_the_chart_and_escape_text(client, place, users):
    report(place, note='<script>alert("x")</script>')
    report(place, period_start="2025-12-01", regular_users=4, note="<img src=x onerror=alert(1)>")
    page = client.get(place.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and 'id="h-activity"' in html and "<svg" in html
    detail = client.get(f"/lieux/{place.public_id}/activite/").content.decode()
    assert "&lt;script&gt;" not in detail or "<script>alert" not in detail
    assert "<script>alert" not in detail and "<img src=x" not in detail
    assert "style=" not in detail.split("<svg", 1)[1].split("</svg>", 1)[0]
    api = client.get(f"/api/places/{place.public_id}/activity").json()
    assert api["reports"][1]["note"] == '<script>alert("x")</script>'  # data as given, JSON-encoded


# --- CSV import ---------------------------------------------------------------------------------------

def csv_text(place, *lines):
    head = "place;period_start;period_end;regular_users;occasional_visits;desk_days_used;desk_days_available;events"
    return "\n".join([head, *(line.format(p=place.public_id) for line in lines)]) + "\n"


def test_import_is_idempotent(tmp_path, place):
    path = tmp_path / "enquete.csv"
    path.write_text(csv_text(place, "{p};2025-09-01;2025-09-30;2;4;20;84;0", "{p};2025-10-01;;3;1;25;84;1"),
                    encoding="utf-8")
    out = io.StringIO()
    call_command("import-activity", str(path), stdout=out)
    assert "2 créée(s)" in out.getvalue()
    out = io.StringIO()
    call_command("activity", "import", str(path), stdout=out)
    assert "0 créée(s), 0 mise(s) à jour, 2 inchangée(s)" in out.getvalue()
    assert ActivityReport.objects.filter(place=place).count() == 2
    assert ActivityReport.objects.get(place=place, period_start="2025-10-01").period_end == datetime.date(2025, 10, 31)
    path.write_text(csv_text(place, "{p};2025-09-01;2025-09-30;5;4;20;84;0"), encoding="utf-8")
    out = io.StringIO()
    call_command("activity", "import", str(path), stdout=out)
    assert "1 mise(s) à jour" in out.getvalue()
    assert ActivityReport.objects.get(place=place, period_start="2025-09-01").regular_users == 5
    assert ActivityReport.objects.get(place=place, period_start="2025-09-01").reported_by_kind == "survey"


def test_import_reports_line_and_field_errors_and_writes_nothing(tmp_path, place):
    path = tmp_path / "enquete.csv"
    path.write_text(csv_text(place,
                             "{p};2025-09-01;2025-09-30;2;4;20;84;0",  # fine
                             "{p};2025-10-01;2025-10-31;-1;4;20;84;0",  # negative
                             "{p};2025-09-15;2025-10-14;1;0;0;84;0",  # overlaps line 2
                             "inconnu;2025-09-01;2025-09-30;1;0;0;84;0",  # no such place
                             "{p};2025-11-01;2025-11-30;1;0;99;84;0"),  # used > available
                    encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="rien n’a été importé"):
        call_command("import-activity", str(path), stderr=err)
    text = err.getvalue()
    assert "ligne 3, regular_users" in text and "ligne 4, period_start" in text and "chevauche" in text
    assert "ligne 5, place" in text and "ligne 6, desk_days_used" in text
    assert not ActivityReport.objects.filter(place=place).exists()


def test_import_rolls_back_on_crash(monkeypatch, place):
    calls = {"n": 0}
    real_save = importing.save

    def crashing(report, on=None, **options):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disque plein")
        return real_save(report, on, **options)

    monkeypatch.setattr(importing, "save", crashing)
    with pytest.raises(RuntimeError):
        importing.import_csv(csv_text(place, "{p};2025-09-01;;2;4;20;84;0", "{p};2025-10-01;;3;1;25;84;1"))
    assert not ActivityReport.objects.filter(place=place).exists()


# --- corrections: edit and delete -------------------------------------------------------------------

def test_edit_keeps_the_old_figures_in_the_log_and_refuses_a_stale_version(place, users):
    from tilios.revisions.models import ModerationAction

    r = report(place)
    changed = reporting.edit(r, {"regular_users": 6, "desk_days_used": 40}, users["manager"], version=1, on=TODAY)
    assert (changed.pk, changed.version, changed.regular_users, changed.desk_days_used) == (r.pk, 2, 6, 40)
    assert changed.reported_by == users["manager"] and changed.reported_by_kind == "manager"
    assert changed.occasional_visits == 5  # fields not sent stay
    log = ModerationAction.objects.get(action="activity")
    assert log.actor == users["manager"] and log.object_id == place.pk
    assert log.details["before"]["regular_users"] == 3 and log.details["operation"] == "edit"
    with pytest.raises(reporting.ReportConflict, match="modifié entre-temps"):
        reporting.edit(r, {"regular_users": 1}, users["moderator"], version=1, on=TODAY)
    assert ActivityReport.objects.get(pk=r.pk).regular_users == 6
    with pytest.raises(ValidationError) as exc:
        reporting.edit(changed, {"desk_days_used": 90}, users["manager"], version=2, on=TODAY)
    assert "capacité" in str(exc.value) and ActivityReport.objects.get(pk=r.pk).version == 2
    with pytest.raises(PermissionDenied):
        reporting.edit(changed, {"regular_users": 0}, users["other_manager"], version=2, on=TODAY)


def test_an_edit_may_not_overlap_another_report(place, users):
    report(place)
    december = report(place, period_start="2025-12-01")
    with pytest.raises(ValidationError, match="chevauche"):
        reporting.edit(december, {"period_start": "2025-11-15", "period_end": "2025-12-31"}, users["manager"],
                      version=1, on=TODAY)
    moved = reporting.edit(december, {"period_start": "2025-10-01"}, users["manager"], version=1, on=TODAY)
    assert (moved.period_start, moved.period_end) == (datetime.date(2025, 10, 1), datetime.date(2025, 10, 31))


@pytest.mark.parametrize("who, outcome", [
    ("anonymous", "login"), ("contributor", 403), ("trusted", 403), ("other_manager", 403),
    ("manager", "ok"), ("moderator", "ok"),
])
def test_web_edit_and_delete_permissions(client, place, users, who, outcome):
    r = report(place)
    if who != "anonymous":
        client.force_login(users[who])
    base = f"/lieux/{place.public_id}/activite/{r.pk}"
    edit_url, delete_url = base + "/modifier/", base + "/supprimer/"
    responses = [client.get(edit_url), client.post(edit_url, {**data(regular_users=9), "reliability": "verified",
                                                              "version": 1}),
                 client.get(delete_url)]
    if outcome == "login":
        assert all(x.status_code == 302 and "/compte/connexion/" in x["Location"] for x in responses)
    elif outcome == 403:
        assert all(x.status_code == 403 for x in responses)
        assert client.post(delete_url, {"version": 1}).status_code == 403
    else:
        assert [x.status_code for x in responses] == [200, 302, 200]
        assert ActivityReport.objects.get(pk=r.pk).regular_users == 9
        assert client.post(delete_url, {"version": 1}).status_code == 409  # the edit made it version 2
        assert client.post(delete_url, {"version": 2}).status_code == 302
    assert ActivityReport.objects.filter(pk=r.pk).exists() == (outcome != "ok")


def test_web_edit_conflict_shows_the_stored_figures(place, users):
    r = report(place)
    manager, moderator = Client(), Client()
    manager.force_login(users["manager"])
    moderator.force_login(users["moderator"])
    url = f"/lieux/{place.public_id}/activite/{r.pk}/modifier/"
    form = manager.get(url).content.decode()
    assert 'name="version" value="1"' in form and 'value="3"' in form
    assert moderator.post(url, {**data(regular_users=7), "reliability": "verified", "version": 1}).status_code == 302
    stale = manager.post(url, {**data(regular_users=4), "reliability": "declared", "version": 1})
    page = stale.content.decode()
    assert stale.status_code == 409 and "modifié entre-temps" in page
    assert 'name="version" value="2"' in page and 'name="regular_users" value="7"' in page
    assert ActivityReport.objects.get(pk=r.pk).regular_users == 7
    listing = manager.get(f"/lieux/{place.public_id}/activite/").content.decode()
    assert url in listing and f"/activite/{r.pk}/supprimer/" in listing
    journal = Client().get("/journal/?action=activity").content.decode()
    assert "rapport du 2025-11-01 au 2025-11-30 modifié" in journal


def test_web_delete_needs_csrf(place, users):
    r = report(place)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["manager"])
    url = f"/lieux/{place.public_id}/activite/{r.pk}/supprimer/"
    assert browser.post(url, {"version": 1}).status_code == 403
    token = browser.get(url).cookies["csrftoken"].value
    assert browser.post(url, {"version": 1, "csrfmiddlewaretoken": token}).status_code == 302
    assert not ActivityReport.objects.filter(pk=r.pk).exists()


def test_api_patch_and_delete(client, place, users):
    r = report(place)
    token = "Bearer " + ApiToken.issue(users["manager"])
    url = f"/api/places/{place.public_id}/activity/{r.pk}"
    response = client.patch(url, {"version": 1, "regular_users": 8, "desk_days_used": None},
                            content_type="application/json", HTTP_AUTHORIZATION=token)
    assert response.status_code == 200, response.content
    assert response.json()["regular_users"] == 8 and response.json()["desk_days_used"] is None
    assert response.json()["version"] == 2
    stale = client.patch(url, {"version": 1, "regular_users": 1}, content_type="application/json",
                         HTTP_AUTHORIZATION=token)
    assert stale.status_code == 409 and "entre-temps" in stale.json()["detail"]
    bad = client.patch(url, {"version": 2, "events": -1}, content_type="application/json", HTTP_AUTHORIZATION=token)
    assert bad.status_code == 400 and "négatif" in bad.json()["errors"]["events"][0]
    missing = client.patch(url, {"regular_users": 1}, content_type="application/json", HTTP_AUTHORIZATION=token)
    assert missing.status_code == 400  # the version read is required
    elsewhere = Place.objects.filter(is_published=True).exclude(pk=place.pk).order_by("id").first()
    assert client.delete(f"/api/places/{elsewhere.public_id}/activity/{r.pk}?version=2",
                         HTTP_AUTHORIZATION=token).status_code == 404
    assert client.delete(url + "?version=1", HTTP_AUTHORIZATION=token).status_code == 409
    assert client.delete(url + "?version=2", HTTP_AUTHORIZATION=token).status_code == 204
    assert client.delete(url + "?version=2", HTTP_AUTHORIZATION=token).status_code == 404
    assert client.get(f"/api/places/{place.public_id}/activity").json()["reports"] == []


# --- band schemes -------------------------------------------------------------------------------------

THRESHOLD_3 = {"code": "seuil-3", "label": "Seuil à trois usagers", "statistic": "max", "source": "essai",
               "bands": [{"code": "never", "label": "jamais", "no_activity": True},
                         {"code": "few", "label": "moins d’un", "lt": 1},
                         {"code": "small", "label": "un à trois", "gte": 1, "lte": 3},
                         {"code": "big", "label": "plus de trois", "gt": 3}]}


@pytest.mark.parametrize("change, field, words", [
    ({"bands": [{"code": "never", "label": "jamais", "no_activity": True}, {"code": "low", "label": "bas", "lt": 1},
                {"code": "high", "label": "haut", "gt": 5}]}, "bands", "aucune bande pour une statistique de 1.0"),
    ({"bands": [{"code": "low", "label": "bas", "gt": 0}]}, "bands", "aucune bande pour une statistique de 0.0"),
    ({"bands": [{"code": "a", "label": "a", "gte": 0}, {"code": "a", "label": "b", "gte": 0}]}, "bands", "en double"),
    ({"bands": [{"code": "a", "label": "a", "gte": 0, "entre": 3}]}, "bands", "clé inconnue « entre »"),
    ({"bands": [{"code": "unknown", "label": "a", "gte": 0}]}, "bands", "code invalide"),
    ({"bands": [{"code": "a", "label": "a", "gte": -1}]}, "bands", "nombre positif"),
    ({"bands": []}, "bands", "non vide"),
    ({"window_months": 0}, "window_months", "entre 1 et 120"),
    ({"statistic": "mean"}, "statistic", "median"),
    ({"code": "Avec Espaces"}, "code", "minuscules"),
])
def test_band_schemes_are_checked(change, field, words):
    with pytest.raises(ValidationError) as exc:
        schemes.create_scheme({**THRESHOLD_3, **change})
    assert words in " ".join(exc.value.message_dict[field])


def test_band_schemes_are_versioned_and_change_the_evaluation(client, place, users):
    report(place, regular_users=4)
    on = datetime.date(2025, 12, 31)
    assert per_place.place_indicators(place, on)["band"] == "regular_1_5"
    with pytest.raises(PermissionDenied):
        schemes.create_scheme(THRESHOLD_3, users["moderator"])
    first = schemes.create_scheme(THRESHOLD_3, make_user("admin", Role.ADMIN))
    second = schemes.create_scheme({**THRESHOLD_3, "statistic": "median"})
    assert (first.version, second.version) == (1, 2)
    assert per_place.place_indicators(place, on, schemes.current_scheme("seuil-3"))["band"] == "big"
    assert per_place.place_indicators(place, on, schemes.current_scheme("seuil-3", 1))["band"] == "big"
    listed = client.get("/api/band-schemes").json()
    assert [(s["code"], s["version"]) for s in listed] == [("moriset-2011", 1), ("seuil-3", 2), ("seuil-3", 1)]
    page = client.get("/politiques/evaluation/tous-les-lieux/", {"on": "2025-12-31", "scheme": "seuil-3"})
    html = page.content.decode()
    assert page.status_code == 200 and "plus de trois" in html and 'value="seuil-3" selected' in html
    wrong = client.get("/politiques/evaluation/tous-les-lieux/", {"scheme": "inconnu"}).content.decode()
    assert "barème inconnu" in wrong and "jamais utilisé" in wrong


def test_band_schemes_through_the_api_and_the_cli(client, tmp_path, users):
    admin = "Bearer " + ApiToken.issue(make_user("admin", Role.ADMIN))
    bad = client.post("/api/band-schemes", {**THRESHOLD_3, "bands": THRESHOLD_3["bands"][:2]},
                      content_type="application/json", HTTP_AUTHORIZATION=admin)
    assert bad.status_code == 400 and "aucune bande" in bad.json()["errors"]["bands"][0]
    made = client.post("/api/band-schemes", THRESHOLD_3, content_type="application/json", HTTP_AUTHORIZATION=admin)
    assert made.status_code == 201 and made.json()["version"] == 1 and made.json()["bands"][3] == {
        "code": "big", "label": "plus de trois", "gt": 3.0}
    path = tmp_path / "bareme.json"
    path.write_text(json.dumps({**THRESHOLD_3, "label": "Seuil, révisé"}), encoding="utf-8")
    out = io.StringIO()
    call_command("bands", "add", str(path), stdout=out)
    assert "seuil-3 v2 enregistré" in out.getvalue()
    out = io.StringIO()
    call_command("bands", stdout=out)
    assert "seuil-3 v2  max, 12 mois — Seuil, révisé : jamais / moins d’un / un à trois / plus de trois" in out.getvalue()
    path.write_text(json.dumps({**THRESHOLD_3, "bands": "tout"}), encoding="utf-8")
    with pytest.raises(CommandError, match="bands : bandes : une liste non vide"):
        call_command("bands", "add", str(path))


# --- survey upload (web and API) ----------------------------------------------------------------------

def upload(name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8") if isinstance(text, str) else text, content_type="text/csv")


@pytest.mark.parametrize("who, outcome", [
    ("anonymous", "login"), ("contributor", 403), ("trusted", 403), ("manager", "own places"),
    ("moderator", "any place"),
])
def test_web_survey_upload_permissions(client, place, users, who, outcome):
    other = Place.objects.filter(is_published=True).exclude(pk=place.pk).order_by("id").first()
    if who != "anonymous":
        client.force_login(users[who])
    url = "/activite/import/"
    own = csv_text(place, "{p};2025-09-01;;2;4;20;84;0")
    both = own + f"{other.public_id};2025-09-01;;1;0;;;0\n"
    get = client.get(url)
    response = client.post(url, {"file": upload("enquete.csv", both), "kind": "survey", "source": "enquête 2025"})
    if outcome == "login":
        assert get.status_code == 302 and "/compte/connexion/" in get["Location"] and response.status_code == 302
    elif outcome == 403:
        assert get.status_code == 403 and response.status_code == 403
    elif outcome == "own places":
        assert get.status_code == 200 and response.status_code == 400
        assert "seuls ses gestionnaires et les modérateurs" in response.content.decode()
        assert "<td>3</td><td>place</td>" in response.content.decode()  # the other place's line, named
        assert not ActivityReport.objects.exists()
        done = client.post(url, {"file": upload("enquete.csv", own), "kind": "survey"}, follow=True)
        assert "1 rapport(s) créé(s)" in done.content.decode()
    else:
        assert response.status_code == 302 and ActivityReport.objects.count() == 2
        assert ActivityReport.objects.get(place=other).source == "enquête 2025"
        assert ActivityReport.objects.get(place=place).reported_by_kind == "survey"
    if outcome in ("login", 403):
        assert not ActivityReport.objects.exists()


def test_web_survey_upload_errors_csrf_and_encoding(place, users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["moderator"])
    url = "/activite/import/"
    text = csv_text(place, "{p};2025-09-01;;2;4;20;84;0", "{p};2025-10-01;;-3;1;25;84;1",
                    "{p};2025-11-01;;<script>;1;90;84;1")
    assert browser.post(url, {"file": upload("a.csv", text), "kind": "survey"}).status_code == 403
    token = browser.get(url).cookies["csrftoken"].value
    response = browser.post(url, {"file": upload("a.csv", text), "kind": "survey", "csrfmiddlewaretoken": token})
    page = response.content.decode()
    assert response.status_code == 400 and "rien n’a été importé" in page
    assert "<td>3</td><td>regular_users</td>" in page and "<td>4</td><td>desk_days_used</td>" in page
    assert "<script>" not in page.split("import-errors", 1)[1]
    latin1 = browser.post(url, {"file": upload("b.csv", "place;month;regular_users\né;2025-09;1".encode("latin-1")),
                                "kind": "survey", "csrfmiddlewaretoken": token})
    assert latin1.status_code == 400 and "pas en UTF-8" in latin1.content.decode()
    assert not ActivityReport.objects.exists()


def test_api_survey_upload(client, place, users):
    token = "Bearer " + ApiToken.issue(users["manager"])
    other = Place.objects.filter(is_published=True).exclude(pk=place.pk).order_by("id").first()
    text = csv_text(place, "{p};2025-09-01;;2;4;20;84;0") + f"{other.public_id};2025-09-01;;1;0;;;0\n"
    refused = client.post("/api/activity/import", {"file": upload("a.csv", text)}, HTTP_AUTHORIZATION=token)
    assert refused.status_code == 400 and refused.json()["errors"][0]["line"] == 3
    assert refused.json()["errors"][0]["field"] == "place" and not ActivityReport.objects.exists()
    own = csv_text(place, "{p};2025-09-01;;2;4;20;84;0", "{p};2025-10-01;;3;1;25;84;1")
    done = client.post("/api/activity/import", {"file": upload("a.csv", own), "source": "enquête"},
                       HTTP_AUTHORIZATION=token)
    assert done.status_code == 200 and done.json() == {"lines": 2, "created": 2, "updated": 0, "unchanged": 0}
    again = client.post("/api/activity/import", {"file": upload("a.csv", own)}, HTTP_AUTHORIZATION=token)
    assert again.json()["unchanged"] == 2
    nobody = "Bearer " + ApiToken.issue(users["contributor"])
    assert client.post("/api/activity/import", {"file": upload("a.csv", own)},
                       HTTP_AUTHORIZATION=nobody).status_code == 403
    assert client.post("/api/activity/import", {"file": upload("a.csv", own)}).status_code == 401
