"""`tilios dump` / `tilios restore`: a whole instance, engine to engine, all or nothing.

The round trip dump → restore → dump must give the same bytes apart from the header's declared
volatile fields, on the same engine and across SQLite and PostgreSQL (the other engine runs in a
subprocess on a scratch database)."""
import base64
import datetime
import gzip
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from people import PASSWORD, make_user
from PIL import Image

from tilios.accounts.models import ApiToken, Role
from tilios.activity.models import ActivityReport
from tilios.media import services as media
from tilios.media import storage
from tilios.pages.models import Page
from tilios.places.models import Place
from tilios.revisions import services as revisions
from tilios.revisions.models import Message, Revision, Thread

pytestmark = pytest.mark.django_db(transaction=False)
ROOT = Path(__file__).resolve().parents[1]


def dump(path):
    call_command("dump", str(path), stderr=io.StringIO())
    return path


def restore(path, *flags):
    call_command("restore", str(path), *flags, stderr=io.StringIO())


def body(path):
    """The dump without its volatile header fields."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as f:
        header, rest = f.readline(), f.read()
    header = json.loads(header)
    for field in header["volatile"]["header"]:
        header.pop(field)
    return json.dumps(header, sort_keys=True) + "\n" + rest


@pytest.fixture
def instance():
    """The demo data plus what a living instance holds: accounts, a page, talk, an edit, activity."""
    admin = make_user("admin-dump", Role.ADMIN)
    ApiToken.issue(admin, "secret")
    page, _ = revisions.create(Page, {"title": "Tiers-lieux ruraux", "body": "Un texte [[lieu:x]] ✓"}, admin)
    place = Place.objects.filter(is_published=True).order_by("id").first()
    revisions.edit(place, {"description": "Ouvert le mardi\r\nFermé en août"}, admin,
                   base_revision=place.current_revision_id)
    thread = Thread.objects.create(record=page, title="Sources ?", tag=Thread.Tag.ANALYSIS, author=admin)
    Message.objects.create(thread=thread, author=admin, body="Voir la base CGET.")
    ActivityReport.objects.create(place=place, period_start=datetime.date(2025, 1, 1),
                                  period_end=datetime.date(2025, 1, 31), regular_users=4, reported_by=admin)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(photo, "PNG")
    file, _ = media.upload(admin, photo.getvalue(), "salle.png", {"alt": "La salle", "place": place.public_id})
    return {"admin": admin, "page": page, "place": place, "file": file}


def test_dump_restore_dump_gives_the_same_bytes_and_no_secret(tmp_path, instance):
    updated_at = Place.objects.get(pk=instance["place"].pk).updated_at
    first = dump(tmp_path / "a.jsonl.gz")
    text = body(first)
    assert PASSWORD not in text and instance["admin"].password not in text and "tl_" not in text
    restore(first, "--replace")
    second = dump(tmp_path / "b.jsonl")
    assert body(second) == body(first)

    admin = get_user_model().objects.get(username="admin-dump")
    assert not admin.has_usable_password() and not ApiToken.objects.exists()
    assert admin.profile.role == Role.ADMIN
    place = Place.objects.get(pk=instance["place"].pk)
    assert place.description == "Ouvert le mardi\r\nFermé en août"
    assert place.updated_at == updated_at  # auto_now dates come back as they were, not as of the restore
    assert Revision.objects.filter(object_id=place.pk, content_type__model="place").count() == 2
    assert Message.objects.get().thread.record == Page.objects.get(slug=instance["page"].slug)
    assert ActivityReport.objects.get().regular_users == 4
    new = Place.objects.create(name="Après la restauration")  # the ids go on after the restored ones
    assert new.pk > place.pk


def test_uploaded_files_travel_in_the_dump(tmp_path, instance):
    file = instance["file"]
    kept = storage.path_of(file.content).read_bytes()
    path = dump(tmp_path / "files.jsonl")
    for thumb in (False, True):  # the files are gone from this machine: the dump brings them back
        storage.path_of(file.content, thumb=thumb).unlink()
    restore(path, "--replace")
    assert storage.path_of(file.content).read_bytes() == kept and storage.path_of(file.content, thumb=True).exists()
    tampered = tmp_path / "tampered.jsonl"
    other = base64.b64encode(b"%PDF-1.4 autre chose %%EOF").decode()
    tampered.write_text("\n".join(
        line if not line.startswith(f'["{file.content}",false') else json.dumps([file.content, False, other])
        for line in path.read_text(encoding="utf-8").splitlines()) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="empreinte"):
        restore(tampered, "--replace")


def test_restore_refuses_a_database_with_content_and_changes_nothing(tmp_path, instance):
    path = dump(tmp_path / "a.jsonl")
    instance["place"].name = "Changé depuis"
    instance["place"].save()
    with pytest.raises(CommandError, match="n'est pas vide.*--replace.*Rien n'a été modifié"):
        restore(path)
    assert Place.objects.get(pk=instance["place"].pk).name == "Changé depuis"


@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:-1] + ['[1, "tronqué'], "JSON illisible"),
    (lambda lines: [line.replace('"table":"revisions.message"', '"table":"revisions.rien"') for line in lines],
     "table inconnue"),
    (lambda lines: [lines[0].replace('"0001_initial"', '"0001_initial","9999_future"', 1)] + lines[1:],
     "migrations du dump"),
    (lambda lines: [line.replace('"Voir la base CGET."', '"Voir la base CGET.","en trop"') for line in lines],
     "mauvaise longueur"),
])
def test_a_damaged_dump_is_refused_whole(tmp_path, instance, damage, message):
    lines = dump(tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    damaged = tmp_path / "b.jsonl"
    damaged.write_text("\n".join(damage(lines)) + "\n", encoding="utf-8")
    places = Place.objects.count()
    with pytest.raises(CommandError, match=message):
        restore(damaged, "--replace")
    assert Place.objects.count() == places and Page.objects.filter(pk=instance["page"].pk).exists()


def test_a_dangling_reference_is_refused_whole(tmp_path, instance):
    path = dump(tmp_path / "a.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    table = next(i for i, line in enumerate(lines) if '"table":"revisions.message"' in line)
    row = json.loads(lines[table + 1])
    row[1] = 999_999_999  # thread_id
    lines[table + 1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="référence"):
        restore(path, "--replace")
    assert Message.objects.get().body == "Voir la base CGET."


def test_not_a_dump_and_missing_file(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"bonjour": 1}\n')
    with pytest.raises(CommandError, match="pas un dump Tilios"):
        restore(tmp_path / "x.jsonl")
    with pytest.raises(CommandError, match="introuvable"):
        restore(tmp_path / "absent.jsonl")


# Across engines: this engine → the other one (subprocess, scratch database) → back here.

def _other_engine(tmp_path):
    """Environment for a `tilios` subprocess on the other engine, and a cleanup."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TILIOS_VAR_DIR": str(tmp_path / "var")}
    if connection.vendor == "sqlite":
        import psycopg

        server = os.environ.get("TILIOS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/tilios")
        name = f"tilios_restore_{uuid.uuid4().hex[:8]}"
        base = server.rsplit("/", 1)[0]
        try:
            admin = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)
        except psycopg.OperationalError:
            pytest.skip("no PostgreSQL server to restore into")
        admin.execute(f"CREATE DATABASE {name}")
        env["TILIOS_DATABASE_URL"] = f"{base}/{name}"

        def cleanup():
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.close()
        return env, cleanup
    env.pop("TILIOS_DATABASE_URL", None)  # PostgreSQL here: the other engine is a fresh SQLite file
    return env, lambda: None


def tilios(env, *args):
    result = subprocess.run([sys.executable, "-m", "tilios", *args], env=env, capture_output=True, text=True,
                            timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_dump_restores_on_the_other_engine_and_back_byte_for_byte(tmp_path, instance):
    env, cleanup = _other_engine(tmp_path)
    try:
        here = dump(tmp_path / "here.jsonl.gz")
        tilios(env, "migrate", "-v0")
        tilios(env, "restore", str(here))
        refused = subprocess.run([sys.executable, "-m", "tilios", "restore", str(here)], env=env,
                                 capture_output=True, text=True, timeout=600, cwd=ROOT)
        assert refused.returncode == 1 and "--replace" in refused.stderr
        tilios(env, "dump", str(tmp_path / "there.jsonl"))
    finally:
        cleanup()
    assert body(tmp_path / "there.jsonl") == body(here)
    restore(tmp_path / "there.jsonl", "--replace")
    assert body(dump(tmp_path / "back.jsonl")) == body(here)
