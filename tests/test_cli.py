import csv
import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tilios.places.models import Place

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_near_lists_the_nearest_with_distances():
    lines = run("near", "45.4397", "4.3872", "-k", "4", "--kind", "fablab").splitlines()
    assert len(lines) == 4
    distances = [float(line.split()[0]) for line in lines]
    assert distances == sorted(distances)
    assert "OpenFactory" in lines[0] and "fablab" in lines[0]


def test_near_as_json():
    found = json.loads(run("near", "48.8566", "2.3522", "-k", "3", "--format", "json"))
    assert len(found) == 3 and all("distance_km" in p for p in found)


def test_near_refuses_bad_input():
    with pytest.raises(CommandError):
        call_command("near", "100", "2", stdout=io.StringIO())
    with pytest.raises(CommandError, match="inconnu"):
        call_command("near", "45", "4", "--kind", "spa", stdout=io.StringIO())


def test_export_csv_carries_licence_and_attribution_on_every_row(tmp_path):
    out = tmp_path / "lieux.csv"
    call_command("export", str(out), "--format", "csv", stderr=io.StringIO())
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1512
    assert all(r["licences"] == "Licence Ouverte 2.0" and r["attributions"].startswith("CGET") for r in rows)
    lyon = next(r for r in rows if r["name"] == "La Cordée" and r["commune_code"] == "69123")
    assert lyon["in_metropole"] == "1" and lyon["region"] == "Auvergne-Rhône-Alpes"


def test_export_geojson_lists_its_licences(tmp_path):
    out = tmp_path / "lieux.geojson"
    call_command("export", str(out), "--format", "geojson", "--kind", "fablab", stderr=io.StringIO())
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == Place.objects.filter(kinds__code="fablab").count() == 345
    assert data["licences"][0]["licence"] == "Licence Ouverte 2.0"
    assert "CGET" in data["attribution"]
    assert all(f["properties"]["licences"] for f in data["features"])


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "tilios", "help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("serve", "import", "near", "export"):
        assert command in result.stdout
