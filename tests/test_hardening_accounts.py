"""Issue #12, accounts: pseudonyms nobody can squat, one lockout for look-alike names, block ranks, tokens
ended by a new password."""
import datetime
import html
import json
import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from people import PASSWORD, make_user

from tilios.accounts.models import ApiToken, Role
from tilios.accounts.services import user_for_token
from tilios.revisions import moderation
from tilios.revisions import services as rev
from tilios.web.forms import SignupForm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]


def text(response):
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def signup_data(username):
    return {"username": username, "email": f"{abs(hash(username))}@example.org",
            "password1": "un-mot-de-passe-solide-7", "password2": "un-mot-de-passe-solide-7"}


# --- item 4: account deletion cannot be blocked by squatting its pseudonym --------------------------------

@pytest.mark.parametrize("name", ["ancien-compte-8", "Ancien-Compte-8", "ANCIEN-COMPTE-8", "ａｎｃｉｅｎ-compte-8",
                                  "ancien-compte-８", "ancien_compte.8", "ancien-compte", "Ancien-Comptes"])
def test_signup_refuses_names_that_pass_for_a_pseudonym(name):
    form = SignupForm(data=signup_data(name))
    assert not form.is_valid()
    assert "réservés aux comptes supprimés" in " ".join(form.errors["username"])


def test_signup_still_takes_ordinary_names():
    for name in ("ancienne", "compte-8", "ancien", "lancien-compte"):
        assert SignupForm(data=signup_data(name)).is_valid(), name


def test_signing_up_as_a_pseudonym_is_refused_and_the_deletion_goes_through(client):
    victim = make_user("victime")
    response = client.post(reverse("web:signup"), signup_data(f"ancien-compte-{victim.pk}"))
    assert response.status_code == 400 and "réservés aux comptes supprimés" in text(response)
    assert not victim.__class__.objects.filter(username=f"ancien-compte-{victim.pk}").exists()
    client.force_login(victim)
    response = client.post(reverse("web:delete_account"), {"password": PASSWORD})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.username == f"ancien-compte-{victim.pk}" and not victim.is_active


def test_deletion_picks_a_free_pseudonym_when_the_name_is_taken(client):
    victim = make_user("victime")
    squatter = make_user(f"ancien-compte-{victim.pk}")  # made before the reservation, or by an operator
    make_user(f"Ancien-Compte-{victim.pk}-2")  # differs only in case: taken too
    client.force_login(victim)
    response = client.post(reverse("web:delete_account"), {"password": PASSWORD}, follow=True)
    assert response.status_code == 200
    victim.refresh_from_db()
    squatter.refresh_from_db()
    assert victim.username == f"ancien-compte-{victim.pk}-3" and not victim.is_active
    assert victim.profile.deleted_at is not None
    assert f"ancien-compte-{victim.pk}-3" in text(response)
    assert squatter.username == f"ancien-compte-{victim.pk}" and squatter.is_active


# --- item 5: the login lockout counts look-alike names as one --------------------------------------------

LOOK_ALIKES = ["ｃ2", "ⓒ2", "c²", "c２", "C2", " c2 "]


def test_lockout_is_not_bypassed_with_look_alike_names(client):
    make_user("c2")
    url = reverse("web:login")
    for _ in range(5):
        assert client.post(url, {"username": "c2", "password": "mauvais"}).status_code == 400
    for name in LOOK_ALIKES:
        response = client.post(url, {"username": name, "password": PASSWORD})
        assert response.status_code == 429, name
        assert "_auth_user_id" not in client.session


def test_failures_under_look_alike_names_add_up(client):
    make_user("c2")
    url = reverse("web:login")
    for name in LOOK_ALIKES[:5]:
        assert client.post(url, {"username": name, "password": "mauvais"}).status_code == 400
    assert client.post(url, {"username": "c2", "password": PASSWORD}).status_code == 429
    cache.clear()
    assert client.post(url, {"username": "ｃ2", "password": PASSWORD}).status_code == 302


# --- item 8: unblocking needs the rank blocking needs, and the rank of who blocked ------------------------

def _until():
    return timezone.now() + datetime.timedelta(days=3)


def test_a_moderator_cannot_unblock_a_moderator_an_admin_blocked(client):
    admin, target = make_user("admin", Role.ADMIN), make_user("modo-bloque", Role.MODERATOR)
    moderator = make_user("modo", Role.MODERATOR)
    moderation.block(target, admin, _until(), "abus")
    with pytest.raises(rev.NotAllowed):
        moderation.unblock(target, moderator)
    client.force_login(moderator)
    assert client.post(reverse("web:user_unblock", args=[target.pk]), {"reason": "copinage"}).status_code == 403
    target.profile.refresh_from_db()
    assert target.profile.is_blocked
    moderation.unblock(target, make_user("admin-2", Role.ADMIN), "revu")
    target.profile.refresh_from_db()
    assert not target.profile.is_blocked


def test_a_moderator_cannot_lift_or_shorten_a_block_an_admin_placed(client):
    admin, moderator = make_user("admin", Role.ADMIN), make_user("modo", Role.MODERATOR)
    target = make_user("contrib")
    moderation.block(target, admin, _until(), "décision d'administration")
    with pytest.raises(rev.NotAllowed):
        moderation.unblock(target, moderator)
    with pytest.raises(rev.NotAllowed):
        moderation.block(target, moderator, timezone.now() + datetime.timedelta(minutes=1), "raccourci")
    token = ApiToken.issue(moderator)
    response = client.post(f"/api/users/{target.get_username()}/unblock", json.dumps({"reason": ""}),
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    target.profile.refresh_from_db()
    assert target.profile.is_blocked and target.profile.blocked_reason == "décision d'administration"


def test_moderators_still_lift_blocks_of_their_rank():
    first, second = make_user("modo-1", Role.MODERATOR), make_user("modo-2", Role.MODERATOR)
    target = make_user("contrib")
    moderation.block(target, first, _until(), "spam")
    moderation.unblock(target, second, "erreur")
    target.profile.refresh_from_db()
    assert not target.profile.is_blocked


# --- item 8: a new password ends the API tokens, as it ends the sessions ----------------------------------

def test_password_reset_revokes_api_tokens_and_says_so(client):
    user = make_user("volee")
    token = ApiToken.issue(user)
    other = ApiToken.issue(make_user("autre"))
    assert client.post(reverse("web:password_reset"), {"email": "volee@example.org"}).status_code == 302
    link = re.search(r"http://testserver(/compte/mot-de-passe/[^\s]+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    new = "un-tout-nouveau-secret-9"
    response = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)
    assert response.status_code == 200 and "jetons d’API sont révoqués" in text(response)
    assert user_for_token(token) is None and not user.api_tokens.exists()
    assert user_for_token(other) is not None


def test_any_new_password_revokes_tokens_but_other_saves_do_not(client):
    user = make_user("prudente")
    token = ApiToken.issue(user)
    user.first_name = "Ada"
    user.save()
    assert client.login(username="prudente", password=PASSWORD)  # saves last_login
    assert user_for_token(token) == user
    user.set_password("change-par-la-commande")  # `changepassword`, the admin
    user.save()
    assert user_for_token(token) is None


class FastPBKDF2(PBKDF2PasswordHasher):
    iterations = 1


def test_a_rehash_on_login_keeps_the_tokens(client, settings):
    user = make_user("ancienne-empreinte")  # hashed with MD5 (conftest)
    token = ApiToken.issue(user)
    settings.PASSWORD_HASHERS = [f"{__name__}.FastPBKDF2", "django.contrib.auth.hashers.MD5PasswordHasher"]
    assert client.login(username="ancienne-empreinte", password=PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert user_for_token(token) == user
