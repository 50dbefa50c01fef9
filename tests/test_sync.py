"""`tilios sync`: this registry follows another Tilios instance — a real one, served in its own process on
its own SQLite base — through its change feed, into a source; each run resumes where the last stopped."""
import http.server
import json
import os
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from servers import LISTENING, REPO, TILIOS, call, stop

from tilios.places.models import Place
from tilios.revisions import services as revisions
from tilios.sources import registry, sync
from tilios.sources.importers import FileError
from tilios.sources.models import ImportRun, SourceRecord

pytestmark = pytest.mark.django_db

SLUG = "reseau-voisin"


@pytest.fixture
def other(tmp_path, monkeypatch):
    """Another Tilios, empty, with a moderator's token: yields (its address, token, run(*args) of its CLI)."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    env = {k: v for k, v in os.environ.items() if k != "TILIOS_DATABASE_URL"}
    env.update(TILIOS_VAR_DIR=str(tmp_path / "other"), TILIOS_DEBUG="0", PYTHONUNBUFFERED="1",
               TILIOS_NO_RATELIMIT="1")
    server = subprocess.Popen([str(TILIOS), "serve", "--no-demo", "--port", "0"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "tilios", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    try:
        for line in server.stdout:
            if match := LISTENING.search(line):
                break
        else:
            pytest.fail("the other instance did not start")
        yield match.group(1), run("token", "moderatrice", "--role", "moderator", "--create"), run
    finally:
        stop(server)


def create(base, token, name, lat, lon, **fields):
    status, answer = call("POST", f"{base}/api/places", token, {"summary": "création", "data": {
        "name": name, "latitude": lat, "longitude": lon, **fields}})
    assert status == 201, answer
    return answer["record"]["id"]


def edit(base, token, public_id, **changes):
    _, place = call("GET", f"{base}/api/places/{public_id}")
    status, answer = call("PATCH", f"{base}/api/places/{public_id}", token, {
        "base_revision": place["current_revision"]["id"], "summary": "mise à jour", "changes": changes})
    assert status == 200, answer


def record(public_id):
    return SourceRecord.objects.select_related("place").get(source__slug=SLUG, external_id=public_id)


def test_sync_follows_the_other_instance_resuming_where_it_stopped(other):
    base, token, run = other
    registry.register({"slug": SLUG, "name": "Réseau voisin", "publisher": "Réseau des tiers-lieux voisins",
                       "licence": "odbl-1.0"})
    known, _ = revisions.create(Place, {"name": "Coworking de la Gare aux Ormes", "latitude": 46.3458,
                                        "longitude": 2.6037, "town": "Saint-Amand-Montrond"}, None, "ici", system=True)
    forge = create(base, token, "Forge numérique des Monts d'Aubrac", 44.6261, 3.0079, town="Nasbinals",
                   postcode="48260", kinds=["fablab"], opening_hours="Mo-Fr 09:00-17:00",
                   services=["fabrication-numerique"], links=[{"kind": "web", "url": "https://forge-aubrac.example.org"}])
    gare = create(base, token, "Coworking de la Gare aux Ormes", 46.3458, 2.6037, town="Saint-Amand-Montrond",
                  kinds=["coworking"])
    atelier = create(base, token, "Atelier partagé du Vieux Pont", 47.0810, 2.3988, town="Bourges")
    rucher = create(base, token, "Rucher numérique de Bourges", 47.0842, 2.3950, town="Bourges")

    first = sync.follow(base, SLUG)
    assert (first.rows, first.created, first.matched, first.rejected) == (4, 3, 1, 0), first.errors
    assert record(gare).place == known  # matched against this registry like any imported record
    place = record(forge).place
    assert (place.name, place.postcode, place.opening_hours) == ("Forge numérique des Monts d'Aubrac", "48260",
                                                                  "Mo-Fr 09:00-17:00")
    assert [k.code for k in place.kinds.all()] == ["fablab"] and "fabrication-numerique" in place.services
    assert place.links == [{"kind": "web", "url": "https://forge-aubrac.example.org"}]
    cursor = first.run.mapping["cursor"]
    assert cursor > 0 and first.run.mapping["feed"] == base

    # There: one place renamed, one closed, one merged into another.
    edit(base, token, forge, name="Forge numérique de l'Aubrac")
    edit(base, token, atelier, status="closed")
    run("shell", "-c", "from tilios.places.models import Place; from tilios.sources import resolution; "
        f"resolution.merge(Place.objects.get(public_id='{gare}'), Place.objects.get(public_id='{rucher}'))")
    rucher_here = record(rucher).place

    second = sync.follow(base, SLUG)
    assert second.run.mapping["since"] == cursor  # resumed: only what changed since is read
    assert sorted(second.run.mapping["gone"]) == sorted([atelier, rucher])
    assert second.rows == 2 and second.missing == 2, second.errors  # the renamed place and the merge's survivor
    assert record(forge).place.name == "Forge numérique de l'Aubrac"
    assert "Forge numérique des Monts d'Aubrac" in record(forge).place.alternate_names
    for gone in (atelier, rucher):  # never closed here on the other's word: left for someone to review
        assert record(gone).missing_since_run == second.run
    assert Place.objects.get(pk=rucher_here.pk).status == Place.Status.OPEN

    third = sync.follow(base, SLUG)
    assert (third.rows, third.missing, third.run.mapping["since"]) == (0, 0, second.run.mapping["cursor"])
    runs = ImportRun.objects.count()
    everything = sync.follow(base, SLUG, since=0, dry_run=True)  # from the start, as a new follower would
    assert (everything.rows, everything.created, everything.updated) == (2, 0, 0)
    assert ImportRun.objects.count() == runs


def test_sync_through_the_command_and_an_unreachable_instance_changes_nothing(other, capsys):
    base, token, _ = other
    registry.register({"slug": SLUG, "name": "Réseau voisin", "licence": "etalab-2.0"})
    create(base, token, "Fablab des Coteaux de Cher", 47.2183, 2.0684, town="Vierzon", kinds=["fablab"])
    create(base, token, "EPN de la Médiathèque de Lourdes", 43.0947, -0.0458, town="Lourdes", kinds=["epn"])
    call_command("sync", base, "--source", SLUG, "--kind", "fablab", "--no-progress")
    said = capsys.readouterr().out
    assert "1 lieux modifiés depuis le curseur 0 : 1 créés" in said and "curseur : " in said
    assert SourceRecord.objects.filter(source__slug=SLUG).count() == 1  # the fablab only

    places, runs = Place.objects.count(), ImportRun.objects.count()
    with pytest.raises(FileError, match="injoignable"):
        sync.follow("http://127.0.0.1:9", SLUG)
    with pytest.raises(FileError, match="source inconnue"):  # said before anything is read there
        sync.follow("http://127.0.0.1:9", "pas-une-source")
    assert (Place.objects.count(), ImportRun.objects.count()) == (places, runs)


def test_a_busy_instance_is_asked_again_after_the_wait_it_says(monkeypatch):
    """A server that answers 429 with Retry-After, then the feed: the run waits and goes on."""
    asked = []

    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            if len(asked) == 1:
                self.send_response(429)
                self.send_header("Retry-After", "1")
                self.end_headers()
                return
            body = json.dumps({"changes": [], "cursor": 7}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    monkeypatch.setenv("no_proxy", "127.0.0.1")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert sync.changed_places(f"http://127.0.0.1:{server.server_port}", 3, {}) == ([], 7)
    finally:
        server.shutdown()
    assert len(asked) == 2 and asked[0] == asked[1] and "since=3" in asked[0]


def test_share_alike_data_there_needs_the_same_licence_here():
    """Places there built from ODbL data may only enter a source here that is under ODbL too."""
    open_source = registry.register({"slug": SLUG, "name": "Réseau voisin", "licence": "etalab-2.0"})
    same = registry.register({"slug": "voisin-odbl", "name": "Voisin (ODbL)", "licence": "odbl-1.0"})
    from_osm = {"id": "abc", "sources": [{"slug": "openstreetmap", "licence_code": "odbl-1.0", "share_alike": True}]}
    open_only = {"id": "def", "sources": [{"slug": "cget", "licence_code": "etalab-2.0", "share_alike": False}]}
    refusal = sync.licence_refusal([open_only, from_osm], open_source)
    assert "odbl-1.0 (partage à l'identique)" in refusal and f"tilios sources edit {SLUG} --licence odbl-1.0" in refusal
    assert sync.licence_refusal([open_only, from_osm], same) is None
    assert sync.licence_refusal([open_only], open_source) is None
