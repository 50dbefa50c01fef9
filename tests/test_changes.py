"""The change feed: every published revision once, in order, resumable; filtered by territory, kind, type."""
import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from people import make_user

from tilios.accounts.models import Role
from tilios.places.models import Place
from tilios.revisions import changes
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def trusted():
    return make_user("fidele", Role.TRUSTED)


@pytest.fixture
def sictiam():
    return Place.objects.get(name="SICTIAM")  # Alpes-Maritimes (06)


def read_all(cursor=0, limit=200, scope=None):
    seen = []
    while True:
        page = changes.since(cursor, limit, scope)
        seen += page.changes
        if not page.changes:
            return seen, page.cursor
        assert page.cursor > cursor
        cursor = page.cursor


def test_every_published_revision_comes_once_in_order_and_pending_ones_wait(sictiam, trusted):
    seen, cursor = read_all()
    numbers = [change.sequence for change in seen]
    assert numbers == sorted(set(numbers))
    assert len(seen) == Revision.objects.filter(status=Revision.Status.ACCEPTED).count() > 1000

    newcomer = make_user("nouvelle", Role.CONTRIBUTOR)
    pending = rev.edit(sictiam, {"capacity": 30}, newcomer, "capacité", sictiam.current_revision_id)
    assert changes.since(cursor).changes == []  # a proposal is not a change until it is accepted
    rev.accept(pending, trusted, "vérifié")
    page = changes.since(cursor)
    assert [(c.type, c.key, c.title, c.fields, c.author) for c in page.changes] == [
        ("place", sictiam.public_id, "SICTIAM", ["capacity"], "nouvelle")]
    assert changes.since(page.cursor).changes == []  # never twice


def test_a_closure_is_marked_and_a_territory_keeps_its_own_places(sictiam, trusted):
    _, cursor = read_all()
    elsewhere = Place.objects.exclude(departement_id="06").filter(is_published=True).first()
    rev.edit(elsewhere, {"capacity": 8}, trusted, "", elsewhere.current_revision_id)
    rev.edit(sictiam, {"status": "closed"}, trusted, "fermé en 2024", sictiam.current_revision_id)
    from tilios.places import feed

    page = changes.since(cursor, scope=feed.scope(departement="06"))
    assert [(c.key, c.closed, c.summary) for c in page.changes] == [(sictiam.public_id, True, "fermé en 2024")]
    assert len(changes.since(cursor).changes) == 2


def test_the_api_pages_through_the_feed_and_refuses_unknown_territories(sictiam, trusted):
    client = Client()
    first = client.get("/api/changes", {"limit": 5}).json()
    assert len(first["changes"]) == 5 and first["cursor"] == first["changes"][-1]["sequence"]
    second = client.get("/api/changes", {"limit": 5, "since": first["cursor"]}).json()
    assert second["changes"][0]["sequence"] > first["cursor"]
    assert "since=%d" % first["cursor"] in first["next"]

    tail = client.get("/api/changes", {"since": 10 ** 9}).json()
    rev.edit(sictiam, {"capacity": 14}, trusted, "capacité", sictiam.current_revision_id)
    latest = client.get("/api/changes", {"since": tail["cursor"], "kind": [k.code for k in sictiam.kinds.all()],
                                         "region": sictiam.region_id, "type": "place"}).json()
    assert [(c["id"], c["fields"], c["url"]) for c in latest["changes"]] == [
        (sictiam.public_id, ["capacity"], f"/lieux/{sictiam.public_id}/")]

    for params in ({"departement": "999"}, {"kind": "bowling"}, {"since": "hier"}):
        answer = client.get("/api/changes", params)
        assert answer.status_code in (400, 422), params
    assert "999" in client.get("/api/changes", {"departement": "999"}).json()["detail"]


def as_follower(read):
    """Run `read` on its own connection, outside the test's transaction, as another process would."""
    result = {}

    def run():
        try:
            result["value"] = read()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result["value"]


INSERT_EDIT = (
    "INSERT INTO revisions_revision (content_type_id, object_id, kind, status, summary, data, diff, created_at, "
    "accepted_at, imported_author, review_note) SELECT id, %s, 'edit', 'accepted', %s, '{}', '{}', now(), "
    "now() - interval '1 day', '', '' FROM django_content_type WHERE app_label = 'places' AND model = 'place' "
    "RETURNING id")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_transaction_that_commits_late_is_not_skipped(sictiam):
    """A writer that started first and commits after a follower's read comes after that follower's cursor,
    although its revision has an older id and an older date than one the follower has already seen."""
    import psycopg

    db = connection.settings_dict
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": db["NAME"]}
    late, quick = psycopg.connect(**params), psycopg.connect(**params, autocommit=True)
    written = []
    try:
        written.append(late.execute(INSERT_EDIT, [sictiam.pk, "tardive"]).fetchone()[0])
        written.append(quick.execute(INSERT_EDIT, [sictiam.pk, "rapide"]).fetchone()[0])
        seen, cursor = as_follower(read_all)  # the late writer has not committed yet
        assert "rapide" in {c.summary for c in seen} and "tardive" not in {c.summary for c in seen}
        late.commit()
        page = as_follower(lambda: changes.since(cursor))
        assert [c.summary for c in page.changes] == ["tardive"]
        assert as_follower(lambda: changes.since(page.cursor)).changes == []
    finally:
        late.rollback()
        quick.execute("DELETE FROM revisions_revision WHERE id = ANY(%s)", [written])
        late.close()
        quick.close()


def test_recent_changes_page_filters_patrols_and_follows_in_atom(client, sictiam, trusted):
    newcomer = make_user("nouvelle", Role.CONTRIBUTOR)
    pending = rev.edit(sictiam, {"capacity": 30}, newcomer, "capacité 30", sictiam.current_revision_id)
    rev.accept(pending, trusted)

    page = client.get("/modifications/", {"auteur": "nouvelle"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "SICTIAM" in html and "capacité 30" in html and "Marquer comme relue" not in html  # anonymous
    assert client.get("/modifications/", {"departement": "999"}).status_code == 400

    client.force_login(trusted)
    html = client.get("/modifications/", {"auteur": "nouvelle", "relue": "non"}).content.decode()
    assert "Marquer comme relue" in html
    answer = client.post(f"/modifications/{pending.pk}/relue/", {"next": "/modifications/?relue=non"})
    assert answer.status_code == 302
    pending.refresh_from_db()
    assert pending.patrolled_by == trusted
    assert "capacité 30" not in client.get("/modifications/", {"auteur": "nouvelle", "relue": "non"}).content.decode()
    client.force_login(newcomer)
    assert client.post(f"/modifications/{pending.pk}/relue/").status_code == 403

    atom = client.get("/modifications.atom", {"type": "place", "departement": "06"})
    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    assert b"capacit\xc3\xa9 30" in atom.content and b"<author><name>nouvelle</name>" in atom.content
    sictiam.refresh_from_db()
    one = client.get(f"/lieux/{sictiam.public_id}/modifications.atom")
    assert one.status_code == 200 and one.content.count(b"<entry>") == sictiam.current_revision.number
    assert client.get("/modifications.atom", {"kind": "bowling"}).status_code == 400


def test_patrol_needs_the_csrf_token(sictiam, trusted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(trusted)
    revision = sictiam.current_revision
    assert client.post(f"/modifications/{revision.pk}/relue/").status_code == 403
    revision.refresh_from_db()
    assert revision.patrolled_at is None


def test_the_command_line_follows_the_same_feed(sictiam, trusted):
    import io
    import json

    from django.core.management import CommandError, call_command

    def run(*args):
        out = io.StringIO()
        call_command("changes", *args, stdout=out)
        return out.getvalue()

    tail = json.loads(run("--since", str(10 ** 9), "--format", "json"))
    assert tail["changes"] == []
    rev.edit(sictiam, {"status": "closed"}, trusted, "fermé", sictiam.current_revision_id)
    text = run("--since", str(tail["cursor"]), "--departement", "06")
    assert f"place:{sictiam.public_id}  SICTIAM  [edit, fermeture] fidele  fermé  (status)" in text
    assert f"--since {tail['cursor'] + 1}" in text
    with pytest.raises(CommandError, match="999"):
        run("--departement", "999")


def test_recent_changes_of_new_accounts_only(client, sictiam, trusted):
    newcomer = make_user("arrivee-recente", Role.CONTRIBUTOR)
    veteran = make_user("ancienne-main", Role.TRUSTED)
    veteran.date_joined = timezone.now() - datetime.timedelta(days=400)
    veteran.save()
    rev.accept(rev.edit(sictiam, {"capacity": 61}, newcomer, "par une nouvelle", sictiam.current_revision_id),
               trusted)
    sictiam.refresh_from_db()
    rev.edit(sictiam, {"capacity": 62}, veteran, "par une ancienne", sictiam.current_revision_id)
    html = client.get("/modifications/", {"nouveaux": "oui"}).content.decode()
    assert "par une nouvelle" in html and "par une ancienne" not in html
    everything = client.get("/modifications/").content.decode()
    assert "par une nouvelle" in everything and "par une ancienne" in everything
