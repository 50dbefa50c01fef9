"""Activity reports: validation, permissions (API and web), CSRF, XSS, CSV import, indicators."""
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tilios.accounts.models import ApiToken, PlaceManager, Role
from tilios.activity import services
from tilios.activity.models import ActivityReport
from tilios.places.models import Place

pytestmark = pytest.mark.django_db
User = get_user_model()
TODAY = datetime.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.RATELIMIT_ENABLE = False
    cache.clear()
    yield
    cache.clear()


def make_user(name, role=Role.CONTRIBUTOR):
    user = User.objects.create_user(name, f"{name}@example.org", "motdepasse-solide-42")
    user.profile.role = role
    user.profile.save()
    return user


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
    r = services.build_report(place, data(**changes), None, ActivityReport.ReportedBy.SURVEY)
    return services.save(r, TODAY)


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
    assert services.place_indicators(place, TODAY)["status"] == "unknown"  # no report: unknown, not zero
    for i, regular in enumerate([1, 2, 3, 4, 5, 6]):
        start = services.add_months(datetime.date(2025, 7, 1), i)
        report(place, period_start=start.isoformat(), regular_users=regular, desk_days_used=regular * 10,
               occasional_visits=0, events=0)
    ind = services.place_indicators(place, TODAY)
    assert ind["status"] == "known" and ind["band"] == "regular_1_5"
    assert ind["regular_users"] == 3.5 and ind["max_regular_users"] == 6
    assert ind["occupancy_rate"] == round(210 / (6 * 84), 4)
    assert ind["trend_regular_users_per_month"] == 1.0
    assert ind["months_without_activity"] == 0 and ind["months_without_report"] == 6
    assert ind["last_report"] == datetime.date(2025, 12, 31)
    later = services.place_indicators(place, datetime.date(2027, 6, 1))
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
    real_save = services.save

    def crashing(report, on=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disque plein")
        return real_save(report, on)

    monkeypatch.setattr(services, "save", crashing)
    with pytest.raises(RuntimeError):
        services.import_csv(csv_text(place, "{p};2025-09-01;;2;4;20;84;0", "{p};2025-10-01;;3;1;25;84;1"))
    assert not ActivityReport.objects.filter(place=place).exists()
