"""Security of the web pages: CSRF on every form, stored XSS, odd and oversized input, rate limits,
honeypots, and the security headers of every page."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.templatetags.static import static
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from people import PASSWORD, make_user

from tilios.accounts import throttle
from tilios.accounts.models import Role
from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.revisions import talk
from tilios.revisions.models import Revision, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
User = get_user_model()

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
MD_JS = "[x](javascript:alert(1))"
PAYLOAD = f"{SCRIPT} {IMG} {JS_URL} {MD_JS}"


@pytest.fixture
def place():
    return Place.objects.get(name="SICTIAM")


@pytest.fixture
def page():
    system = make_user("auteur-page", Role.TRUSTED)
    created, _ = rev.create(Page, {"title": "Guide", "body": "Texte"}, system, "")
    return created


def assert_clean(body, where):
    lower = body.lower()
    assert "<script>alert" not in lower, where
    assert "<img src=x" not in lower and "onerror=" not in lower.replace("onerror=alert(1)&gt;", ""), where
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", lower), where
    for tag in re.findall(r"<script[^>]*>", body):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, (where, tag)
    assert " style=" not in body and "<style" not in body, where


# --- CSRF -----------------------------------------------------------------------------------------

def post_endpoints(place, page, thread, target, token_id, pending):
    pid, slug = place.public_id, page.slug
    return [
        reverse("web:place_edit", args=[pid]), reverse("web:place_create"), reverse("web:page_edit", args=[slug]),
        reverse("web:page_edit", args=["toute-nouvelle"]),
        reverse("web:place_revert", args=[pid, place.current_revision_id]),
        reverse("web:page_revert", args=[slug, page.current_revision_id]),
        reverse("web:place_protect", args=[pid]), reverse("web:page_protect", args=[slug]),
        reverse("web:place_new_thread", args=[pid]), reverse("web:page_new_thread", args=[slug]),
        reverse("web:talk_reply", args=[thread.pk]), reverse("web:talk_hide", args=[thread.messages.first().pk]),
        reverse("web:accept", args=[pending.pk]), reverse("web:reject", args=[pending.pk]),
        reverse("web:user_rollback", args=[target.pk]), reverse("web:user_block", args=[target.pk]),
        reverse("web:user_unblock", args=[target.pk]), reverse("web:user_role", args=[target.pk]),
        reverse("web:user_manager", args=[target.pk]), reverse("web:token_create"),
        reverse("web:token_revoke", args=[token_id]), reverse("web:delete_account"), reverse("web:logout"),
    ]


def test_every_form_needs_its_csrf_token(place, page):
    admin = make_user("admin-csrf", Role.ADMIN)
    thread = talk.start_thread(place, admin, "Sujet", "analyse", "Message")
    target = make_user("cible")
    other = Place.objects.exclude(pk=place.pk).first()
    pending = rev.edit(other, {"capacity": 3}, target, "", other.current_revision_id)
    from tilios.accounts.models import ApiToken

    ApiToken.issue(admin, "t")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    urls = post_endpoints(place, page, thread, target, admin.api_tokens.get().pk, pending)
    for url in urls:
        response = client.post(url, {"name": "x", "title": "x", "body": "x", "reason": "x"})
        assert response.status_code == 403, url
        assert "CSRF" in response.content.decode(), url
    # Nothing happened.
    assert Thread.objects.count() == 1 and Revision.objects.get(pk=pending.pk).status == "pending"
    anonymous = Client(enforce_csrf_checks=True)
    for url in [reverse("web:login"), reverse("web:signup"), reverse("web:password_reset"), "/i18n/setlang/"]:
        assert anonymous.post(url, {"username": "a", "password": "b", "email": "a@b.c"}).status_code == 403, url
    # With the token from the page, the same forms work.
    form_page = client.get(reverse("web:place_talk", args=[place.public_id]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.content.decode()).group(1)
    response = client.post(reverse("web:place_new_thread", args=[place.public_id]), {
        "csrfmiddlewaretoken": token, "title": "Avec jeton", "tag": "analyse", "body": "ok"})
    assert response.status_code == 302


# --- stored XSS -----------------------------------------------------------------------------------

def test_stored_xss_is_escaped_or_stripped_everywhere(client, place):
    author = make_user("xss", Role.TRUSTED)
    moderator = make_user("modo-xss", Role.MODERATOR)
    client.force_login(author)
    edit_url = reverse("web:place_edit", args=[place.public_id])
    form = client.get(edit_url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    # A javascript: link is refused by the form…
    data.update(links=JS_URL, base_revision=place.current_revision_id)
    response = client.post(edit_url, data)
    assert response.status_code == 400 and "http(s)" in response.content.decode()
    # …and every text field takes the payloads.
    data.update(name=f"Lieu {SCRIPT}", address=IMG, description=PAYLOAD, summary=f"résumé {SCRIPT}{IMG}",
                alternate_names=f"{SCRIPT}\n{IMG}", links='https://example.org/"><script>alert(1)</script>',
                town=IMG, opening_hours_unparsed=SCRIPT)  # opening_hours itself must parse
    response = client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    place.refresh_from_db()
    assert place.name == f"Lieu {SCRIPT}" and place.address == IMG

    # A pending proposal by a contributor, for the moderation queue.
    proposer = make_user("proposeuse")
    rev.edit(place, {"description": PAYLOAD + " bis"}, proposer, f"proposition {SCRIPT}", place.current_revision_id)
    # Talk and wiki.
    thread_url = reverse("web:place_new_thread", args=[place.public_id])
    assert client.post(thread_url, {"title": f"Titre {SCRIPT}{IMG}", "tag": "risque",
                                    "body": PAYLOAD}).status_code == 302
    thread = Thread.objects.get(title__startswith="Titre")
    client.post(reverse("web:talk_reply", args=[thread.pk]), {"body": f"{MD_JS} <a href='javascript:x'>y</a>"})
    page_url = reverse("web:page_edit", args=["piege"])
    response = client.post(page_url, {"title": f"Piège {SCRIPT}", "body": PAYLOAD + "\n\n[[Catégorie:Piège <b>x</b>]]"
                                      f"\n\n[[{IMG}]] [[lieu:{IMG}]]", "summary": SCRIPT})
    assert response.status_code == 302, response.content.decode()[:2000]
    wiki_page = Page.objects.get(slug="piege-scriptalert1script")
    assert client.get(reverse("web:page", args=[wiki_page.slug])).status_code == 200

    r1 = Revision.objects.filter(object_id=place.pk, content_type__model="place", number=1).get()
    pages = [
        place.get_absolute_url(), reverse("web:place_history", args=[place.public_id]),
        reverse("web:place_compare", args=[place.public_id]) + f"?r={r1.pk}&r={place.current_revision_id}",
        reverse("web:place_talk", args=[place.public_id]), reverse("web:place_edit", args=[place.public_id]),
        "/?q=lieu+script", reverse("web:account"),
        reverse("web:page", args=[wiki_page.slug]), reverse("web:page_history", args=[wiki_page.slug]),
        reverse("web:page_edit", args=[wiki_page.slug]), reverse("web:wiki"),
        reverse("web:category", args=[wiki_page.categories.get().slug]), reverse("web:audit_log"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode(), url)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(place.get_absolute_url()).content.decode()
    client.force_login(moderator)
    for url in [reverse("web:moderation"), reverse("web:user_tools", args=[author.pk]),
                reverse("web:place_talk", args=[place.public_id])]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode(), url)
    # The moderator accepts the pending proposal and the audit log shows it, still clean.
    pending = Revision.objects.get(author=proposer)
    client.post(reverse("web:accept", args=[pending.pk]), {"note": SCRIPT})
    assert_clean(client.get(reverse("web:audit_log")).content.decode(), "log")


def test_sql_looking_input_is_just_text(client, place):
    client.force_login(make_user("sql", Role.TRUSTED))
    name = "Robert'); DROP TABLE places_place; --"
    response = client.post(reverse("web:place_create"), {"name": name, "presence": "physical", "mobility": "fixed",
                                                         "status": "open", "description": "' OR 1=1 --"})
    assert response.status_code == 302
    assert Place.objects.filter(name=name).count() == 1 and Place.objects.count() > 1000
    for q in ["' OR 1=1 --", "robert'); drop", '" UNION SELECT * FROM auth_user --']:
        assert client.get("/", {"q": q}).status_code == 200
    assert client.get(reverse("web:users"), {"q": "' OR 1=1 --"}).status_code == 403
    assert client.get(reverse("web:audit_log"), {"action": "' OR 1=1 --", "page": "1; DROP"}).status_code == 200
    assert client.get(reverse("web:place_compare", args=[Place.objects.get(name=name).public_id]),
                      {"r": ["1 OR 1=1"]}).status_code == 400


def test_oversized_input_is_a_form_error_not_a_500(client, place, page):
    client.force_login(make_user("gros", Role.TRUSTED))
    huge = "x" * 1_000_000
    edit_url = reverse("web:place_edit", args=[place.public_id])
    form = client.get(edit_url).context["form"]
    base = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    for field in ["name", "description", "address", "summary", "alternate_names", "links", "opening_hours",
                  "opening_hours_unparsed"]:
        response = client.post(edit_url, {**base, field: huge})
        assert response.status_code == 400, field
        assert response.context["form"].errors, field
    response = client.post(reverse("web:page_edit", args=[page.slug]), {"title": "Guide", "body": huge,
                                                                         "base_revision": page.current_revision_id})
    assert response.status_code == 400
    response = client.post(reverse("web:place_new_thread", args=[place.public_id]),
                           {"title": "t", "tag": "analyse", "body": huge})
    assert response.status_code == 400
    response = client.post(reverse("web:signup"), {"username": huge[:100_000], "email": "a@b.org",
                                                   "password1": huge, "password2": huge})
    assert response.status_code in (302, 400)  # logged in already: redirected, never a 500
    client.logout()
    response = client.post(reverse("web:login"), {"username": huge, "password": huge})
    assert response.status_code == 400


# --- rate limits, honeypots -----------------------------------------------------------------------

def test_rate_limit_exhaustion_is_a_429(client, place, monkeypatch, settings):
    settings.RATELIMIT_ENABLE = True
    monkeypatch.setitem(throttle.RATES, "edit", ("3/h", "3/h", "3/h"))
    monkeypatch.setitem(throttle.RATES, "message", ("2/h", "2/h", "2/h"))
    monkeypatch.setitem(throttle.RATES, "signup", ("2/h", None, None))
    client.force_login(make_user("presse", Role.TRUSTED))
    statuses = [client.post(reverse("web:place_create"), {"name": f"Lieu {i}", "presence": "physical",
                                                          "mobility": "fixed", "status": "open"}).status_code
                for i in range(4)]
    assert statuses == [302, 302, 302, 429]
    url = reverse("web:place_new_thread", args=[place.public_id])
    statuses = [client.post(url, {"title": "t", "tag": "analyse", "body": "b"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    response = client.post(url, {"title": "t", "tag": "analyse", "body": "b"})
    assert response.status_code == 429 and "Trop de demandes" in response.content.decode()
    client.logout()
    for i in range(2):
        client.post(reverse("web:signup"), {"username": f"u{i}", "email": f"u{i}@example.org",
                                            "password1": PASSWORD, "password2": PASSWORD})
        client.logout()
    response = client.post(reverse("web:signup"), {"username": "u9", "email": "u9@example.org",
                                                   "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 429 and not User.objects.filter(username="u9").exists()


def test_login_is_rate_limited_per_ip(client, monkeypatch, settings):
    settings.RATELIMIT_ENABLE = True
    monkeypatch.setitem(throttle.RATES, "login", ("3/h", None, None))
    statuses = [client.post(reverse("web:login"), {"username": f"n{i}", "password": "x"}).status_code
                for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_filled_honeypot_is_refused(client, place):
    response = client.post(reverse("web:signup"), {"username": "robot", "email": "robot@example.org",
                                                   "password1": PASSWORD, "password2": PASSWORD,
                                                   "website": "http://spam.example"})
    assert response.status_code == 400 and not User.objects.filter(username="robot").exists()
    client.force_login(make_user("robot2", Role.TRUSTED))
    response = client.post(reverse("web:place_create"), {"name": "Spam", "presence": "physical", "mobility": "fixed",
                                                         "status": "open", "website": "x"})
    assert response.status_code == 400 and not Place.objects.filter(name="Spam").exists()
    response = client.post(reverse("web:place_new_thread", args=[place.public_id]),
                           {"title": "Spam", "tag": "analyse", "body": "b", "website": "x"})
    assert response.status_code == 400 and not Thread.objects.filter(title="Spam").exists()
    thread = talk.start_thread(place, make_user("humain"), "Vrai", "analyse", "b")
    client.post(reverse("web:talk_reply", args=[thread.pk]), {"body": "spam", "website": "x"})
    assert thread.messages.count() == 1


def test_honeypot_is_hidden_by_css_not_inline_style(client):
    body = client.get(reverse("web:signup")).content.decode()
    assert '<div class="hp" aria-hidden="true">' in body and 'name="website"' in body
    css = client.get(static("web/site.css"))
    text = b"".join(css.streaming_content).decode() if css.streaming else css.content.decode()
    assert re.search(r"\.hp\s*\{[^}]*left:\s*-10000px", text)


# --- security headers on every page -----------------------------------------------------------------

def _web_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _web_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_security_headers_on_every_page(client, place, page):
    moderator = make_user("modo-headers", Role.MODERATOR)
    thread = talk.start_thread(place, moderator, "Sujet", "analyse", "Message")
    rev.edit(page, {"body": "Texte [[Catégorie:Formation]]"}, moderator, "", page.current_revision_id)
    values = {"public_id": place.public_id, "key": place.public_id, "slug": "formation",
              "revision_id": place.current_revision_id, "thread_id": thread.pk,
              "message_id": thread.messages.first().pk, "user_id": moderator.pk, "token_id": 1,
              "uidb64": "MQ", "token": "abc-def"}
    urls = set()
    for route, pattern in _web_patterns():
        if route.startswith(("api/", "admin/")) and route not in ("admin/",):
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if any(n not in values for n in names):
            continue
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
        if "^" in url or "(?P" in url:
            continue
        urls.add(url)
    urls |= {reverse("web:page", args=[page.slug]), reverse("web:page_history", args=[page.slug]),
             reverse("web:page_talk", args=[page.slug]), reverse("web:page_edit", args=[page.slug]),
             "/lieux/zzzzzzzzzz/", "/wiki/nexiste-pas/", "/admin/login/"}
    assert len(urls) > 30
    seen = set()
    for who in (None, moderator):
        if who:
            client.force_login(who)
        for url in sorted(urls):
            response = client.get(url)
            seen.add(response.status_code)
            assert response.status_code < 500, url
            csp = response.headers.get("Content-Security-Policy", "")
            assert "unsafe-inline" not in csp and "script-src 'self'" in csp, url
            if url == "/embed/":  # the one page other sites may frame (tests/test_embed.py)
                assert "frame-ancestors *" in csp and "X-Frame-Options" not in response.headers
            else:
                assert "frame-ancestors 'none'" in csp, url
                assert response.headers.get("X-Frame-Options") == "DENY", url
            assert response.headers.get("X-Content-Type-Options") == "nosniff", url
            assert response.headers.get("Referrer-Policy"), url
            if response.headers.get("Content-Type", "").startswith("text/html") and not url.startswith("/admin/"):
                body = response.content.decode()
                assert " style=" not in body and "<style" not in body, url
                for tag in re.findall(r"<script[^>]*>", body):
                    assert 'src="/static/' in tag or 'type="application/json"' in tag, (url, tag)
    assert {200, 302, 404, 405} <= seen
