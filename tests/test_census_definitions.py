"""Census definitions are data: administrators publish new ones and new versions; old versions never change."""
import io
import json

import pytest
from django.core.management import CommandError, call_command
from people import make_user

from tilios.accounts.models import ApiToken, Role
from tilios.census.models import CensusDefinition

pytestmark = pytest.mark.django_db
FABLABS = {"slug": "fablabs-ouverts", "name": "Fablabs ouverts", "text": "Les fablabs ouverts au public.",
           "criteria": {"kinds_any": ["fablab"], "statuses": ["open"]}}


def post(client, body, user=None):
    headers = {"Authorization": f"Bearer {ApiToken.issue(user)}"} if user else {}
    return client.post("/api/census/definitions", json.dumps(body), content_type="application/json", headers=headers)


def test_admins_publish_versions_and_counts_follow_them(client):
    admin = make_user("admin-recensement", Role.ADMIN)
    for role in (Role.CONTRIBUTOR, Role.TRUSTED, Role.MODERATOR):
        assert post(client, FABLABS, make_user(f"u-{role}", role)).status_code == 403
    assert post(client, FABLABS).status_code == 401
    first = post(client, FABLABS, admin)
    assert first.status_code == 201 and first.json()["ref"] == "fablabs-ouverts@1"
    assert post(client, {**FABLABS, "criteria": {"kinds_any": ["fablab", "hackerspace"]}}, admin).status_code == 400
    second = post(client, {**FABLABS, "criteria": {"kinds_any": ["fablab", "hackerspace"]},
                           "changelog": "les hackerspaces comptent aussi"}, admin)
    assert second.status_code == 201 and second.json()["ref"] == "fablabs-ouverts@2"
    assert "v2" in second.json()["changelog"] and "v1" in second.json()["changelog"]
    assert CensusDefinition.objects.get(slug="fablabs-ouverts", version=1).criteria == FABLABS["criteria"]
    one = client.get("/api/census", {"definition": "fablabs-ouverts@1"}).json()
    two = client.get("/api/census", {"definition": "fablabs-ouverts"}).json()
    assert 0 < one["total"] <= two["total"]


@pytest.mark.parametrize("change, field", [
    ({"criteria": {"kinds_any": ["bowling"]}}, "criteria"),
    ({"criteria": {"couleur": "bleu"}}, "criteria"),
    ({"slug": "avec espace"}, "slug"),
    ({"text": ""}, "text"),
])
def test_a_bad_definition_names_its_field_and_publishes_nothing(client, change, field):
    admin = make_user("admin-2", Role.ADMIN)
    answer = post(client, {**FABLABS, **change}, admin)
    assert answer.status_code == 400 and field in answer.json()["errors"]
    assert not CensusDefinition.objects.filter(slug__in=["fablabs-ouverts", "avec espace"]).exists()


def test_the_command_line_publishes_too(tmp_path):
    make_user("admin-cli", Role.ADMIN)
    make_user("simple", Role.CONTRIBUTOR)
    path = tmp_path / "def.json"
    path.write_text(json.dumps(FABLABS), encoding="utf-8")
    out = io.StringIO()
    call_command("census", "--publish", str(path), "--user", "admin-cli", stdout=out)
    assert "fablabs-ouverts@1 publiée" in out.getvalue()
    with pytest.raises(CommandError, match="changelog"):
        call_command("census", "--publish", str(path), "--user", "admin-cli")
    with pytest.raises(CommandError, match="administrateurs"):
        call_command("census", "--publish", str(path), "--user", "simple")
