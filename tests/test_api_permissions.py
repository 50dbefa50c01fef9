"""Who may call which write endpoint: the whole matrix, written out, plus CSRF, hostile input,
rate limits and stored XSS."""
import datetime
import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone
from people import make_user

from tilios.accounts.models import ApiToken, PlaceManager, Role
from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions import talk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
User = get_user_model()

ROLES = ("anonymous", "contributor", "trusted", "moderator", "admin", "manager", "blocked")


@dataclass
class World:
    place: Place
    r1: int  # the imported revision of the place
    r2: int  # an accepted edit on top of it
    pending: int  # a contributor's proposal on another place
    thread: int
    message: int
    page: str
    page_r1: int
    page_r2: int
    users: dict
    tokens: dict


@pytest.fixture
def world():
    place = Place.objects.get(name="SICTIAM")
    seed_trusted, proposer, admin_seed = (make_user("seed-trusted", Role.TRUSTED), make_user("proposer"),
                                          make_user("seed-admin", Role.ADMIN))
    r1 = place.current_revision_id
    r2 = rev.edit(place, {"capacity": 10}, seed_trusted, "seed", r1).pk
    other = Place.objects.exclude(pk=place.pk).order_by("id").first()
    pending = rev.edit(other, {"description": "proposé"}, proposer, "", other.current_revision_id).pk
    thread = talk.start_thread(place, proposer, "Sujet", "analyse", "Premier message")
    page, page_rev = rev.create(Page, {"title": "Guide", "body": "v1"}, admin_seed, "")
    page_r2 = rev.edit(page, {"body": "v2"}, admin_seed, "", page_rev.pk).pk
    make_user("cible")
    users = {
        "contributor": make_user("contrib"),
        "trusted": make_user("confiance", Role.TRUSTED),
        "moderator": make_user("moderatrice", Role.MODERATOR),
        "admin": make_user("administratrice", Role.ADMIN),
        "manager": make_user("gerante"),
        "blocked": make_user("bloque"),
    }
    PlaceManager.objects.create(user=users["manager"], place=place, linked_by=admin_seed)
    blocked = users["blocked"].profile
    blocked.blocked_until, blocked.blocked_reason = timezone.now() + datetime.timedelta(days=3), "test"
    blocked.save()
    tokens = {role: ApiToken.issue(user) for role, user in users.items()}
    return World(place, r1, r2, pending, thread.pk, thread.messages.first().pk, page.slug, page_rev.pk,
                 page_r2, users, tokens)


def P(w):
    return f"/api/places/{w.place.public_id}"


def ER(w, key):
    """Entity-resolution objects, built on demand (only their rows pay for them): a pending pair of the national
    base, a conflict with the seed edit, a merge to undo, two places to merge, a place with two records."""
    if not hasattr(w, "er"):
        from tilios.sources import resolution
        from tilios.sources.models import FieldConflict, MatchCandidate, SourceRecord

        pair = MatchCandidate.objects.filter(status="pending").order_by("id").first()
        busy = set(MatchCandidate.objects.values_list("place_a", flat=True)) | set(
            MatchCandidate.objects.values_list("place_b", flat=True)) | {w.place.pk}
        spare = list(Place.objects.exclude(pk__in=busy).order_by("id")[1:6])
        record = w.place.records.first()
        conflict = FieldConflict.objects.create(place=w.place, field="capacity", record=record, source_value=20,
                                                current_value=10, human_revision_id=w.r2)
        merge = resolution.merge(spare[0], spare[1], User.objects.get(username="seed-admin"))
        SourceRecord.objects.create(source=record.source, external_id="matrice", place=spare[4], raw={},
                                    fields={"name": "Matrice"}, checksum="matrice")
        w.er = {"pair": pair.pk, "conflict": conflict.pk, "merge": merge.pk, "kept": spare[2].public_id,
                "other": spare[3].public_id, "split": spare[4].public_id,
                "record": spare[4].records.get(external_id="matrice").pk}
    return w.er[key]


def AR(w):
    """A report of the managed place, as of last month (created on demand, version 1)."""
    from tilios.activity import periods
    from tilios.activity.models import ActivityReport

    if not hasattr(w, "report"):
        start = periods.add_months(periods.today().replace(day=1), -1)
        w.report = ActivityReport.objects.create(place=w.place, period_start=start,
                                                 period_end=periods.month_end(start), regular_users=2).pk
    return f"{P(w)}/activity/{w.report}"


def PG(w):
    return f"/api/pages/{w.page}"


# endpoint: (method, path, body, auth) — auth "bearer" (token) or "session" (logged-in browser).
ENDPOINTS = {
    "token-create": ("POST", lambda w: "/api/tokens", lambda w: {"name": "matrice"}, "session"),
    "token-delete": ("DELETE", lambda w: "/api/tokens/{own}", lambda w: None, "bearer"),
    "place-create": ("POST", lambda w: "/api/places", lambda w: {"data": {"name": "Matrice"}}, "bearer"),
    "place-edit": ("PATCH", P, lambda w: {"base_revision": w.r2, "changes": {"capacity": 77}}, "bearer"),
    "place-revert": ("POST", lambda w: P(w) + "/revert", lambda w: {"to_revision": w.r1, "base_revision": w.r2},
                     "bearer"),
    "place-protect": ("POST", lambda w: P(w) + "/protect", lambda w: {"protected": True}, "bearer"),
    "place-managers": ("POST", lambda w: P(w) + "/managers", lambda w: {"username": "cible"}, "bearer"),
    "place-talk": ("POST", lambda w: P(w) + "/talk", lambda w: {"title": "T", "tag": "risque", "body": "B"},
                   "bearer"),
    "revision-accept": ("POST", lambda w: f"/api/revisions/{w.pending}/accept", lambda w: {"note": "ok"},
                        "bearer"),
    "revision-reject": ("POST", lambda w: f"/api/revisions/{w.pending}/reject", lambda w: {"note": "non"},
                        "bearer"),
    "revision-patrol": ("POST", lambda w: f"/api/revisions/{w.r2}/patrol", lambda w: None, "bearer"),
    "talk-reply": ("POST", lambda w: f"/api/talk/{w.thread}/messages",
                   lambda w: {"body": "Réponse", "parent": w.message}, "bearer"),
    "message-hide": ("POST", lambda w: f"/api/messages/{w.message}/hide", lambda w: {"reason": "r"}, "bearer"),
    "page-create": ("POST", lambda w: "/api/pages", lambda w: {"title": "Nouvelle page", "body": "x"}, "bearer"),
    "page-edit": ("PATCH", PG, lambda w: {"base_revision": w.page_r2, "changes": {"body": "v3"}}, "bearer"),
    "page-revert": ("POST", lambda w: PG(w) + "/revert", lambda w: {"to_revision": w.page_r1,
                                                                    "base_revision": w.page_r2}, "bearer"),
    "page-protect": ("POST", lambda w: PG(w) + "/protect", lambda w: {"protected": True}, "bearer"),
    "page-talk": ("POST", lambda w: PG(w) + "/talk", lambda w: {"title": "T", "tag": "opportunite", "body": "B"},
                  "bearer"),
    "user-block": ("POST", lambda w: "/api/users/cible/block", lambda w: {"days": 1, "reason": "r"}, "bearer"),
    "user-unblock": ("POST", lambda w: "/api/users/cible/unblock", lambda w: {"reason": "r"}, "bearer"),
    "user-role-trusted": ("POST", lambda w: "/api/users/cible/role", lambda w: {"role": "trusted"}, "bearer"),
    "user-role-moderator": ("POST", lambda w: "/api/users/cible/role", lambda w: {"role": "moderator"}, "bearer"),
    "user-rollback": ("POST", lambda w: "/api/users/cible/rollback",
                      lambda w: {"since": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
                                 "reason": "r"}, "bearer"),
    "review-decide": ("POST", lambda w: f"/api/review/duplicates/{ER(w, 'pair')}", lambda w: {"decision": "later"},
                      "bearer"),
    "review-conflict": ("POST", lambda w: f"/api/review/conflicts/{ER(w, 'conflict')}", lambda w: {"keep": "current"},
                        "bearer"),
    "merge-undo": ("POST", lambda w: f"/api/merges/{ER(w, 'merge')}/undo", lambda w: {}, "bearer"),
    "place-merge": ("POST", lambda w: f"/api/places/{ER(w, 'kept')}/merge", lambda w: {"other": ER(w, "other")},
                    "bearer"),
    "place-split": ("POST", lambda w: f"/api/places/{ER(w, 'split')}/split", lambda w: {"records": [ER(w, "record")]},
                    "bearer"),
    "activity-report": ("POST", lambda w: P(w) + "/activity",
                        lambda w: {"period_start": "2024-03-01", "regular_users": 4}, "bearer"),
    "activity-correct": ("PATCH", AR, lambda w: {"version": 1, "regular_users": 5}, "bearer"),
    "activity-delete": ("DELETE", lambda w: AR(w) + "?version=1", lambda w: None, "bearer"),
    "band-scheme-create": ("POST", lambda w: "/api/band-schemes",
                           lambda w: {"code": "matrice", "label": "Matrice", "bands": [
                               {"code": "vide", "label": "vide", "no_activity": True},
                               {"code": "tous", "label": "tous", "gte": 0}]}, "bearer"),
    "source-priority": ("PATCH", lambda w: "/api/sources/cget-mission-coworking-2019", lambda w: {"priority": 70},
                        "bearer"),
    "source-register": ("POST", lambda w: "/api/sources", lambda w: {"slug": "hub-lo", "name": "Hub LO",
                                                                      "licence": "cc-by-sa-4.0"}, "bearer"),
    "source-edit": ("PATCH", lambda w: "/api/sources/cget-mission-coworking-2019",
                    lambda w: {"attribution": "CGET, base 2019", "licence": "etalab-2.0"}, "bearer"),
}

# Expected status per role. 200 live / 201 created live / 202 waits for review / 204 done, no body;
# 401 no credentials; 403 not allowed (a blocked account may still revoke its own tokens).
MATRIX = """
endpoint             anonymous contributor trusted moderator admin manager blocked
token-create         401       201         201     201       201   201     403
token-delete         401       204         204     204       204   204     204
place-create         401       202         201     201       201   202     403
place-edit           401       202         200     200       200   200     403
place-revert         401       202         200     200       200   200     403
place-protect        401       403         403     200       200   403     403
place-managers       401       403         403     201       201   403     403
place-talk           401       201         201     201       201   201     403
revision-accept      401       403         200     200       200   403     403
revision-reject      401       403         200     200       200   403     403
revision-patrol      401       403         200     200       200   403     403
talk-reply           401       201         201     201       201   201     403
message-hide         401       403         403     200       200   403     403
page-create          401       202         201     201       201   202     403
page-edit            401       202         200     200       200   202     403
page-revert          401       202         200     200       200   202     403
page-protect         401       403         403     200       200   403     403
page-talk            401       201         201     201       201   201     403
user-block           401       403         403     200       200   403     403
user-unblock         401       403         403     200       200   403     403
user-role-trusted    401       403         403     200       200   403     403
user-role-moderator  401       403         403     403       200   403     403
user-rollback        401       403         403     200       200   403     403
review-decide        401       403         200     200       200   403     403
review-conflict      401       403         200     200       200   403     403
merge-undo           401       403         200     200       200   403     403
place-merge          401       403         201     201       201   403     403
place-split          401       403         201     201       201   403     403
source-priority      401       403         403     403       200   403     403
source-register      401       403         403     403       201   403     403
source-edit          401       403         403     403       200   403     403
band-scheme-create   401       403         403     403       201   403     403
activity-report      401       403         403     201       201   201     403
activity-correct     401       403         403     200       200   200     403
activity-delete      401       403         403     204       204   204     403
"""


def _cells():
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert tuple(header) == ROLES and {row[0] for row in rows} == set(ENDPOINTS)
    return [(row[0], role, int(status)) for row in rows for role, status in zip(header, row[1:])]


CELLS = _cells()


@pytest.mark.parametrize("endpoint,role,expected", CELLS, ids=[f"{e}-{r}" for e, r, _ in CELLS])
def test_permission_matrix(client, world, endpoint, role, expected):
    method, path, body, auth = ENDPOINTS[endpoint]
    path = path(world)
    headers = {}
    if role != "anonymous":
        if auth == "session":
            client.force_login(world.users[role])
        else:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        path = path.replace("{own}", world.tokens[role][:8])
    else:
        path = path.replace("{own}", "tl_aaaaa")
    payload = body(world)
    response = client.generic(method, path, json.dumps(payload) if payload is not None else "",
                              content_type="application/json", headers=headers)
    assert response.status_code == expected, (endpoint, role, response.content)
    if response.status_code != 204:
        body = response.json()
        if expected >= 400:
            assert isinstance(body["detail"], str) and body["detail"]


def test_matrix_size():
    assert len(CELLS) == len(ENDPOINTS) * len(ROLES) == 245


def test_closed_account_token_is_refused(client, world):
    user = world.users["trusted"]
    user.is_active = False
    user.save()
    response = client.post(f"/api/places/{world.place.public_id}/talk", {"title": "t", "tag": "risque", "body": "b"},
                           content_type="application/json", headers={"Authorization": f"Bearer {world.tokens['trusted']}"})
    assert response.status_code == 403 and response.json()["detail"]


def _csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session_writes_need_the_csrf_token(world):
    user = world.users["contributor"]
    url = f"/api/places/{world.place.public_id}/talk"
    thread = {"title": "Via le site", "tag": "analyse", "body": "Bonjour"}
    client = _csrf_client(user)
    refused = client.post(url, thread, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    accepted = client.post(url, thread, content_type="application/json", headers={"X-CSRFToken": secret})
    assert accepted.status_code == 201, accepted.content
    # a wrong token is still refused
    assert client.post(url, thread, content_type="application/json",
                       headers={"X-CSRFToken": _get_new_csrf_string()}).status_code == 403
    # a bearer token is not an ambient credential: no CSRF token needed
    bearer = Client(enforce_csrf_checks=True).post(url, thread, content_type="application/json",
                                                   headers={"Authorization": f"Bearer {world.tokens['trusted']}"})
    assert bearer.status_code == 201
    # creating a token from the session needs CSRF too
    assert _csrf_client(user).post("/api/tokens", {}, content_type="application/json").status_code == 403


def test_hostile_input_is_a_400_never_a_500(client, world):
    bearer = {"Authorization": f"Bearer {world.tokens['trusted']}"}

    def send(method, path, payload, raw=None):
        return client.generic(method, path, raw if raw is not None else json.dumps(payload),
                              content_type="application/json", headers=bearer)

    sql = "'; DROP TABLE places_place; --"
    created = send("POST", "/api/places", {"data": {"name": sql, "description": "1' OR '1'='1"}, "summary": sql})
    assert created.status_code == 201
    assert client.get(f"/api/places/{created.json()['record']['id']}").json()["name"] == sql
    assert Place.objects.count() > 1500

    huge = "x" * (1024 * 1024)
    for method, path, payload, field in [
        ("POST", "/api/places", {"data": {"name": huge}}, "name"),
        ("PATCH", f"/api/places/{world.place.public_id}", {"base_revision": world.r2, "changes": {"description": huge}},
         "description"),
        ("POST", "/api/pages", {"title": huge, "body": "b"}, "title"),
        ("POST", f"/api/places/{world.place.public_id}/talk", {"title": "t", "tag": "risque", "body": huge}, "body"),
        ("POST", f"/api/talk/{world.thread}/messages", {"body": huge}, "body"),
        ("PATCH", f"/api/places/{world.place.public_id}", {"base_revision": world.r2,
                                                           "changes": {"links": [{"url": "https://a.fr"}] * 5000}},
         "links"),
    ]:
        response = send(method, path, payload)
        assert response.status_code == 400, (path, response.status_code)
        assert field in response.json()["errors"], (path, response.json())

    for method, path, payload, raw in [
        ("PATCH", f"/api/places/{world.place.public_id}", None, "{not json"),
        ("PATCH", f"/api/places/{world.place.public_id}", {"base_revision": world.r2, "changes": ["capacity"]}, None),
        ("PATCH", f"/api/places/{world.place.public_id}", {"base_revision": "1 OR 1=1", "changes": {}}, None),
        ("POST", "/api/places", {"data": {"name": "A", "latitude": "45; DROP TABLE x"}}, None),
        ("POST", "/api/places", {"data": {"name": "A", "capacity": 10**30}}, None),
        ("POST", "/api/places", {"data": {"name": "A", "kinds": [{"$ne": 1}]}}, None),
        ("POST", "/api/users/cible/rollback", {"since": "hier", "reason": "r"}, None),
        ("POST", "/api/users/cible/role", {"role": "admin' --"}, None),
    ]:
        response = send(method, path, payload, raw)
        assert response.status_code == 400, (path, payload, raw, response.content[:300])
        assert response.json()["detail"]

    for path in ["/api/places/' OR 1=1 --", "/api/pages/%27%20OR%201%3D1", "/api/users/x' OR '1'='1/unblock"]:
        response = client.post(path, "{}", content_type="application/json", headers=bearer)
        assert response.status_code in (400, 404, 405), (path, response.status_code)
    for params in [{"cursor": "1; DROP TABLE x"}, {"limit": "1 OR 1=1"}, {"limit": 10**9}]:
        response = client.get(f"/api/places/{world.place.public_id}/history", params)
        assert response.status_code == 400, params
    assert client.get("/api/revisions/compare", {"from": "1 OR 1=1", "to": 2}).status_code == 400
    assert client.get("/api/moderation/log", {"user": "' OR 1=1 --", "action": "'"}).json()["results"] == []
    nul = send("POST", "/api/places", {"data": {"name": "Nul\x00Byte"}})
    assert nul.status_code == 201
    assert client.get(f"/api/places/{nul.json()['record']['id']}").json()["name"] == "NulByte"


def test_rate_limit_exhaustion_is_a_429(client, world):
    bearer = {"Authorization": f"Bearer {world.tokens['contributor']}"}
    url = f"/api/talk/{world.thread}/messages"
    statuses = [client.post(url, {"body": f"message {i}"}, content_type="application/json",
                            headers=bearer).status_code for i in range(21)]
    assert statuses == [201] * 20 + [429]
    response = client.post(url, {"body": "encore"}, content_type="application/json", headers=bearer)
    assert response.status_code == 429
    assert "trop de demandes" in response.json()["detail"] and response.json()["scope"] == "message"
    assert response["Retry-After"]
    # the limit is per account: another account may still write
    other = {"Authorization": f"Bearer {world.tokens['trusted']}"}
    assert client.post(url, {"body": "moi"}, content_type="application/json", headers=other).status_code == 201


XSS_MARKDOWN = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> [clic](javascript:alert(3)) '
                '<a href="javascript:alert(4)">a</a> <svg onload=alert(5)> [[<script>alert(6)</script>]] '
                '[[lieu:"><script>alert(7)</script>|x]] <iframe src="https://evil.example"></iframe>')


def _assert_clean(html):
    lowered = html.lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<svg"):
        assert bad not in lowered, (bad, html)


def test_stored_xss_comes_back_escaped_or_stripped(client, world):
    bearer = {"Authorization": f"Bearer {world.tokens['trusted']}"}

    def send(method, path, payload):
        response = client.generic(method, path, json.dumps(payload), content_type="application/json", headers=bearer)
        assert response.status_code in (200, 201), response.content
        return response

    name = '<script>alert("nom")</script><img src=x onerror=alert(1)>'
    created = send("POST", "/api/places", {"data": {"name": name, "description": XSS_MARKDOWN},
                                           "summary": "<script>alert('résumé')</script>"}).json()
    detail = client.get(f"/api/places/{created['record']['id']}")
    assert detail["Content-Type"] == "application/json; charset=utf-8"
    assert detail["X-Content-Type-Options"] == "nosniff"
    assert detail.json()["name"] == name  # data, returned as JSON: never HTML
    _assert_clean(detail.json()["description_html"])

    page = send("POST", "/api/pages", {"title": "XSS <script>alert(1)</script>", "body": XSS_MARKDOWN}).json()
    shown = client.get(f"/api/pages/{page['record']['id']}").json()
    _assert_clean(shown["html"])
    assert shown["body"] == XSS_MARKDOWN

    thread = send("POST", f"/api/places/{world.place.public_id}/talk",
                  {"title": "<script>alert(1)</script>", "tag": "risque", "body": XSS_MARKDOWN}).json()
    send("POST", f"/api/talk/{thread['id']}/messages", {"body": "<img src=x onerror=alert(1)>ok"})
    talk = client.get(f"/api/places/{world.place.public_id}/talk")
    assert talk["Content-Type"].startswith("application/json")
    for listed in talk.json()["threads"]:
        for message in listed["messages"]:
            _assert_clean(message["html"])
            for reply in message["replies"]:
                _assert_clean(reply["html"])
    history = client.get(f"/api/places/{created['record']['id']}/history").json()
    assert history["results"][0]["summary"] == "<script>alert('résumé')</script>"
    assert history["results"][0]["author"] == "confiance"
