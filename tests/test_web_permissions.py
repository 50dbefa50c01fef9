"""The permission matrix of the web: every form and POST endpoint × every role, outcome written out.

Outcomes:  login = redirected to the login page · 403 = refused · ok = done (200 or redirect elsewhere)
           live = done and published at once · pending = done, waiting for review
"""
import datetime
import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from people import PASSWORD, make_user
from PIL import Image

from tilios.accounts.models import PlaceManager, Role
from tilios.media import services as media
from tilios.pages.models import Page, Training
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions import talk
from tilios.revisions.models import Revision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]

ROLES = ("anonymous", "contributor", "trusted", "moderator", "admin", "manager", "blocked")

#                      anonymous contributor trusted    moderator  admin      manager    blocked
MATRIX = {
    "place_edit_form":  ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "place_edit":       ("login", "pending", "live",    "live",    "live",    "live",    "403"),
    "place_create_form": ("login", "ok",     "ok",      "ok",      "ok",      "ok",      "403"),
    "place_create":     ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "page_edit":        ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "page_create":      ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "place_revert":     ("login", "pending", "live",    "live",    "live",    "live",    "403"),
    "page_revert":      ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "place_protect":    ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "page_protect":     ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "new_thread":       ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "page_new_thread":  ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "reply":            ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "hide_message":     ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "moderation_queue": ("login", "403",     "ok",      "ok",      "ok",      "403",     "403"),
    "accept":           ("login", "403",     "ok",      "ok",      "ok",      "403",     "403"),
    "reject":           ("login", "403",     "ok",      "ok",      "ok",      "403",     "403"),
    "users":            ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "user_tools":       ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "rollback_user":    ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "block_contributor": ("login", "403",    "403",     "ok",      "ok",      "403",     "403"),
    "block_moderator":  ("login", "403",     "403",     "403",     "ok",      "403",     "403"),
    "block_admin":      ("login", "403",     "403",     "403",     "403",     "403",     "403"),
    "unblock":          ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "role_trusted":     ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "role_moderator":   ("login", "403",     "403",     "403",     "ok",      "403",     "403"),
    "link_manager":     ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "archive_add_form": ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "archive_add":      ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "archive_edit":     ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "programme_places": ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "source_create":    ("login", "403",     "403",     "403",     "ok",      "403",     "403"),
    "source_edit":      ("login", "403",     "403",     "403",     "ok",      "403",     "403"),
    "census_definition": ("login", "403",    "403",     "403",     "ok",      "403",     "403"),
    "account":          ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "ok"),
    "token_create":     ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "token_revoke":     ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "ok"),
    "delete_account":   ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "ok"),
    "logout":           ("ok",    "ok",      "ok",      "ok",      "ok",      "ok",      "ok"),
    # Reporting needs no account (honeypot and rate limits instead); closing reports is the reviewers'.
    "place_report":     ("ok",    "ok",      "ok",      "ok",      "ok",      "ok",      "ok"),
    "reports_queue":    ("login", "403",     "ok",      "ok",      "ok",      "403",     "403"),
    "report_close":     ("login", "403",     "ok",      "ok",      "ok",      "403",     "403"),
    "file_upload":      ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "file_edit":        ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "file_revert":      ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "file_protect":     ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "file_new_thread":  ("login", "ok",      "ok",      "ok",      "ok",      "ok",      "403"),
    "training_create":  ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "training_edit":    ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "training_revert":  ("login", "pending", "live",    "live",    "live",    "pending", "403"),
    "training_protect": ("login", "403",     "403",     "ok",      "ok",      "403",     "403"),
    "training_new_thread": ("login", "ok",   "ok",      "ok",      "ok",      "ok",      "403"),
}


@pytest.fixture
def world():
    system = make_user("systeme", Role.ADMIN)
    place = Place.objects.get(name="SICTIAM")
    rev.edit(place, {"capacity": 10}, system, "r2", place.current_revision_id)
    place.refresh_from_db()
    page, _ = rev.create(Page, {"title": "Charte", "body": "Texte initial"}, system, "")
    rev.edit(page, {"body": "Texte revu"}, system, "", page.current_revision_id)
    page.refresh_from_db()
    thread = talk.start_thread(place, system, "Sujet", "analyse", "Premier message")
    other = Place.objects.exclude(pk=place.pk).first()
    pending = rev.edit(other, {"capacity": 99}, make_user("proposant"), "", other.current_revision_id)
    users = {
        "contributor": make_user("contributrice"),
        "trusted": make_user("confiance", Role.TRUSTED),
        "moderator": make_user("moderatrice", Role.MODERATOR),
        "admin": make_user("administratrice", Role.ADMIN),
        "manager": make_user("gerante"),
        "blocked": make_user("bloquee"),
    }
    PlaceManager.objects.create(user=users["manager"], place=place, linked_by=system)
    profile = users["blocked"].profile
    profile.blocked_until, profile.blocked_reason = timezone.now() + datetime.timedelta(days=3), "test"
    profile.save()
    targets = {"contributor": make_user("cible"), "moderator": make_user("cible-modo", Role.MODERATOR),
               "admin": make_user("cible-admin", Role.ADMIN)}
    blocked_target = make_user("cible-bloquee")
    blocked_target.profile.blocked_until = timezone.now() + datetime.timedelta(days=3)
    blocked_target.profile.save()
    from tilios.places import reports
    from tilios.policy.models import Promise

    report = reports.submit(other, "hours", "Les horaires ont changé.")
    file, _ = media.upload(system, _photo().getvalue(), "facade.jpg", {"alt": "La façade"})
    rev.edit(file, {"caption": "Vue de la rue"}, system, "", file.current_revision_id)
    file.refresh_from_db()
    training, _ = rev.create(Training, {"title": "Animer un lieu", "provider": "Réseau", "format": "remote",
                                        "on_demand": True}, system, "")
    rev.edit(training, {"price": "gratuit"}, system, "", training.current_revision_id)
    training.refresh_from_db()
    return {"file": file, "training": training,
            "first_training_revision": Revision.objects.get(object_id=training.pk, content_type__model="training",
                                                            number=1), "first_file_revision": Revision.objects.get(object_id=file.pk,
                                                                      content_type__model="mediafile", number=1),"promise": Promise.objects.get(metric="télécentres ouverts"), "report": report,
            "place": place, "page": page, "thread": thread, "message": thread.messages.get(), "pending": pending,
            "users": users, "targets": targets, "blocked_target": blocked_target, "system": system,
            "first_place_revision": Revision.objects.get(object_id=place.pk, content_type__model="place", number=1),
            "first_page_revision": Revision.objects.get(object_id=page.pk, content_type__model="page", number=1)}


def place_fields(place, **changes):
    data = {"name": place.name, "presence": place.presence, "mobility": place.mobility, "status": place.status,
            "latitude": place.latitude or "", "longitude": place.longitude or "", "address": place.address,
            "postcode": place.postcode, "town": place.town, "declared_commune_code": place.declared_commune_code,
            "kinds": [k.code for k in place.kinds.all()], "description": place.description,
            "capacity": place.capacity if place.capacity is not None else "",
            "links": "\n".join(link["url"] for link in place.links), "opening_hours": place.opening_hours,
            "alternate_names": "\n".join(place.alternate_names), "markers": list(getattr(place, "markers", []) or []),
            "opened_on": place.opened_on.isoformat() if place.opened_on else "",
            "closed_on": place.closed_on.isoformat() if place.closed_on else "",
            "base_revision": place.current_revision_id, "summary": "matrice"}
    if place.temporary:
        data["temporary"] = "on"
    data.update(changes)
    return data


def request_for(endpoint, w, user):
    """(method, url, data) for one endpoint."""
    place, page = w["place"], w["page"]
    pid, slug = place.public_id, page.slug
    u = w["targets"]
    return {
        "place_edit_form": ("get", reverse("web:place_edit", args=[pid]), None),
        "place_edit": ("post", reverse("web:place_edit", args=[pid]), place_fields(place, capacity="42")),
        "place_create_form": ("get", reverse("web:place_create"), None),
        "place_create": ("post", reverse("web:place_create"), {
            "name": "Nouveau lieu", "presence": "physical", "mobility": "fixed", "status": "open"}),
        "page_edit": ("post", reverse("web:page_edit", args=[slug]), {
            "title": page.title, "body": "Texte changé", "base_revision": page.current_revision_id}),
        "page_create": ("post", reverse("web:page_edit", args=["nouvelle-page"]), {
            "title": "Nouvelle page", "body": "Bonjour"}),
        "place_revert": ("post", reverse("web:place_revert", args=[pid, w["first_place_revision"].pk]),
                         {"base_revision": place.current_revision_id}),
        "page_revert": ("post", reverse("web:page_revert", args=[slug, w["first_page_revision"].pk]),
                        {"base_revision": page.current_revision_id}),
        "place_protect": ("post", reverse("web:place_protect", args=[pid]), {"protected": "1"}),
        "page_protect": ("post", reverse("web:page_protect", args=[slug]), {"protected": "1"}),
        "new_thread": ("post", reverse("web:place_new_thread", args=[pid]), {
            "title": "Question", "tag": "risque", "body": "Un risque ?"}),
        "page_new_thread": ("post", reverse("web:page_new_thread", args=[slug]), {
            "title": "Question", "tag": "analyse", "body": "Une analyse"}),
        "reply": ("post", reverse("web:talk_reply", args=[w["thread"].pk]), {
            "body": "Réponse", "parent": w["message"].pk}),
        "hide_message": ("post", reverse("web:talk_hide", args=[w["message"].pk]), {"reason": "test"}),
        "moderation_queue": ("get", reverse("web:moderation"), None),
        "accept": ("post", reverse("web:accept", args=[w["pending"].pk]), {"note": "ok"}),
        "reject": ("post", reverse("web:reject", args=[w["pending"].pk]), {"note": "non"}),
        "users": ("get", reverse("web:users") + "?q=cible", None),
        "user_tools": ("get", reverse("web:user_tools", args=[u["contributor"].pk]), None),
        "rollback_user": ("post", reverse("web:user_rollback", args=[u["contributor"].pk]), {
            "since": "2020-01-01T00:00", "block_days": "7", "reason": "vandalisme"}),
        "block_contributor": ("post", reverse("web:user_block", args=[u["contributor"].pk]),
                              {"days": "3", "reason": "test"}),
        "block_moderator": ("post", reverse("web:user_block", args=[u["moderator"].pk]), {"days": "3", "reason": "t"}),
        "block_admin": ("post", reverse("web:user_block", args=[u["admin"].pk]), {"days": "3", "reason": "t"}),
        "unblock": ("post", reverse("web:user_unblock", args=[w["blocked_target"].pk]), {"reason": "t"}),
        "role_trusted": ("post", reverse("web:user_role", args=[u["contributor"].pk]), {"role": "trusted"}),
        "role_moderator": ("post", reverse("web:user_role", args=[u["contributor"].pk]), {"role": "moderator"}),
        "link_manager": ("post", reverse("web:user_manager", args=[u["contributor"].pk]), {"place": pid}),
        "archive_add_form": ("get", reverse("web:archive_add", args=["programmes"]), None),
        "archive_add": ("post", reverse("web:archive_add", args=["programmes"]), {
            "slug": "cyber-bases", "name": "Cyber-bases", "kind": "programme", "summary": "matrice"}),
        "archive_edit": ("post", reverse("web:archive_edit", args=["promises", w["promise"].pk]), {
            "announcement": w["promise"].announcement_id, "metric": w["promise"].metric, "target_value": "120",
            "unit": w["promise"].unit, "deadline": "2007-12-31", "base_revision": w["promise"].current_revision_id}),
        "programme_places": ("post", reverse("web:programme_places", args=[w["promise"].programme.slug]), {
            "place": pid, "since": "2006-01-01", "base_revision": w["promise"].programme.current_revision_id}),
        "source_create": ("post", reverse("web:source_create"), {"slug": "hub-lo", "name": "Hub LO",
                                                                  "licence": "odbl-1.0", "priority": "50"}),
        "source_edit": ("post", reverse("web:source_edit", args=["openstreetmap"]), {
            "name": "OpenStreetMap", "licence": "odbl-1.0", "attribution": "© OSM", "priority": "40"}),
        "census_definition": ("post", reverse("web:census_definition_publish"), {
            "slug": "matrice", "name": "Matrice", "text": "Les lieux de la matrice.", "criteria": "{}"}),
        "account": ("get", reverse("web:account"), None),
        "token_create": ("post", reverse("web:token_create"), {"name": "script"}),
        "token_revoke": ("post", reverse("web:token_revoke", args=[_token_id(user)]), {}),
        "delete_account": ("post", reverse("web:delete_account"), {"password": PASSWORD}),
        "logout": ("post", reverse("web:logout"), {}),
        "place_report": ("post", reverse("web:place_report", args=[pid]), {
            "kind": "closed", "message": "Fermé depuis l'été."}),
        "reports_queue": ("get", reverse("web:review_reports"), None),
        "report_close": ("post", reverse("web:review_report_close", args=[w["report"].pk]), {"status": "dismissed"}),
        "file_upload": ("post", reverse("web:file_upload"), {"file": _photo(), "alt": "Un établi",
                                                             "licence": "CC-BY-SA-4.0"}),
        "file_edit": ("post", reverse("web:file_edit", args=[w["file"].name]), {
            "alt": "La façade au printemps", "licence": "CC-BY-SA-4.0", "base_revision": w["file"].current_revision_id}),
        "file_revert": ("post", reverse("web:file_revert", args=[w["file"].name, w["first_file_revision"].pk]),
                        {"base_revision": w["file"].current_revision_id}),
        "file_protect": ("post", reverse("web:file_protect", args=[w["file"].name]), {"protected": "1"}),
        "file_new_thread": ("post", reverse("web:file_new_thread", args=[w["file"].name]), {
            "title": "Droits", "tag": "risque", "body": "Qui a pris cette photo ?"}),
        "training_create": ("post", reverse("web:training_create"), {
            "title": "Nouvelle formation", "provider": "Fablab", "format": "remote", "on_demand": "on"}),
        "training_edit": ("post", reverse("web:training_edit", args=[w["training"].slug]), {
            "title": w["training"].title, "provider": "Réseau", "format": "remote", "on_demand": "on",
            "price": "10 €", "base_revision": w["training"].current_revision_id}),
        "training_revert": ("post", reverse("web:training_revert", args=[w["training"].slug,
                                                                          w["first_training_revision"].pk]),
                            {"base_revision": w["training"].current_revision_id}),
        "training_protect": ("post", reverse("web:training_protect", args=[w["training"].slug]), {"protected": "1"}),
        "training_new_thread": ("post", reverse("web:training_new_thread", args=[w["training"].slug]), {
            "title": "Dates", "tag": "analyse", "body": "Une session en mars ?"}),
    }[endpoint]


def _photo():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 90)).save(out, "JPEG")
    out.seek(0)
    out.name = "photo.jpg"
    return out


def _token_id(user):
    if user is None:
        return 999999
    from tilios.accounts.models import ApiToken

    ApiToken.issue(user, "à révoquer")
    return user.api_tokens.get().pk


CASES = [(endpoint, role, MATRIX[endpoint][i]) for endpoint in MATRIX for i, role in enumerate(ROLES)]


def test_the_matrix_covers_every_post_endpoint_of_the_web():
    from django.urls import get_resolver

    web = get_resolver().url_patterns
    names = set()
    for pattern in web:
        if getattr(pattern, "namespace", None) == "web":
            names |= {p.name for p in pattern.url_patterns}
    read_only = {"home", "place", "sources", "wiki", "category", "page", "place_history", "page_history",
                 "place_compare", "page_compare", "place_talk", "page_talk", "audit_log", "login", "signup",
                 "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
                 "census", "census_explain", "census_estimate", "census_snapshot", "policy", "announcements",
                 "announcement", "policy_clusters", "programmes", "programme", "programme_timeline", "promises",
                 "promise", "policy_failures", "policy_timeline", "territory_timeline", "place_activity",
                 "programme_evaluation", "evaluation_index", "places_evaluation", "place_provenance",
                 "import_runs", "review_locations", "review_hours", "review_values", "opendata", "opendata_download", "changes",
                 "changes_atom", "place_changes_atom", "page_changes_atom", "embed", "files", "file", "file_content",
                 "file_history", "file_compare", "file_talk", "trainings", "training", "training_history",
                 "training_compare", "training_talk"}
    # Writes of the census, policy and activity pages have their permission tests beside their features.
    covered_elsewhere = {
        "census_freeze": ("tests/test_census_web.py", "/recensement/figer/"),
        "announcement_create": ("tests/test_policy_web.py", "announcement_create"),
        "announcement_figure_add": ("tests/test_policy_web.py", "announcement_figure_add"),
        "announcement_figure_remove": ("tests/test_policy_web.py", "announcement_figure_remove"),
        "place_activity_new": ("tests/test_activity.py", "/activite/declarer/"),
        "place_activity_edit": ("tests/test_activity.py", "/modifier/"),
        "place_activity_delete": ("tests/test_activity.py", "/supprimer/"),
        "activity_import": ("tests/test_activity.py", "/activite/import/"),
        "review_duplicates": ("tests/test_web_resolution.py", "web:review_duplicates"),
        "review_decide": ("tests/test_web_resolution.py", "web:review_decide"),
        "review_conflicts": ("tests/test_web_resolution.py", "web:review_conflicts"),
        "review_conflict_resolve": ("tests/test_web_resolution.py", "web:review_conflict_resolve"),
        "review_closed": ("tests/test_web_resolution.py", "web:review_closed"),
        "place_merge": ("tests/test_web_resolution.py", "web:place_merge"),
        "place_split": ("tests/test_web_resolution.py", "web:place_split"),
        "merge_undo": ("tests/test_web_resolution.py", "web:merge_undo"),
        "patrol": ("tests/test_changes.py", "/relue/"),
        "place_email": ("tests/test_contact.py", "web:place_email"),
        "place_contact": ("tests/test_contact.py", "web:place_contact"),
        "watchlist": ("tests/test_watchlist.py", "web:watchlist"),
        "watch_follow": ("tests/test_watchlist.py", "web:watch_follow"),
        "watch_follow_area": ("tests/test_watchlist.py", "web:watch_follow_area"),
        "watch_unfollow": ("tests/test_watchlist.py", "web:watch_unfollow"),
        "watch_unsubscribe": ("tests/test_watchlist.py", "List-Unsubscribe"),
        "watch_atom": ("tests/test_watchlist.py", "web:watch_atom_renew"),
        "watch_atom_renew": ("tests/test_watchlist.py", "web:watch_atom_renew"),
    }
    here = Path(__file__).parent
    for name, (test_file, needle) in covered_elsewhere.items():
        assert needle in (here.parent / test_file).read_text(encoding="utf-8"), f"{name} untested in {test_file}"
    covered = {"place_edit", "place_create", "page_edit", "place_revert", "page_revert", "place_protect",
               "page_protect", "place_new_thread", "page_new_thread", "talk_reply", "talk_hide", "moderation",
               "accept", "reject", "users", "user_tools", "user_rollback", "user_block", "user_unblock",
               "user_role", "user_manager", "archive_add", "archive_edit", "programme_places", "source_create", "source_edit", "census_definition_publish", "account",
               "token_create", "token_revoke",
               "delete_account", "logout", "place_report", "review_reports", "review_report_close",
                   "file_upload", "file_edit", "file_revert", "file_protect", "file_new_thread",
                   "training_create", "training_edit", "training_revert", "training_protect", "training_new_thread"}
    assert names - read_only - covered - set(covered_elsewhere) == set()
    assert len(CASES) == len(MATRIX) * len(ROLES)


@pytest.mark.parametrize("endpoint,role,expected", CASES, ids=[f"{e}-{r}" for e, r, _ in CASES])
def test_permission_matrix(client, world, endpoint, role, expected):
    user = None if role == "anonymous" else world["users"][role]
    if user is not None:
        client.force_login(user)
    method, url, data = request_for(endpoint, world, user)
    before = Revision.objects.filter(author=user).count() if user else 0
    response = getattr(client, method)(url, data or {})
    login_url = reverse("web:login")
    if expected == "login":
        assert response.status_code == 302 and response.headers["Location"].startswith(login_url), \
            (response.status_code, response.headers.get("Location"))
        return
    if expected == "403":
        assert response.status_code == 403, response.status_code
        return
    assert response.status_code in (200, 302), (response.status_code, response.content.decode()[:2000])
    if response.status_code == 302:
        assert not response.headers["Location"].startswith(login_url)
    if expected in ("live", "pending"):
        mine = Revision.objects.filter(author=user).order_by("-id")
        assert mine.count() == before + 1, response.content.decode()[:3000]
        assert mine.first().status == ("accepted" if expected == "live" else "pending")
