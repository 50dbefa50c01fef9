"""The README cannot drift from the code: its thresholds, its commands and its settings are checked here."""
import re
from pathlib import Path

import pytest
from django.core.management import get_commands

from tilios.sources import blocking, matching

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DJANGO_COMMANDS = {"migrate", "shell", "createsuperuser", "dbshell", "check"}  # Django's own, named as such


def french_number(text):
    return float(text.replace("\u202f", "").replace(" ", "").replace(",", "."))


def test_the_matching_thresholds_are_the_ones_the_code_applies():
    merge = re.search(r"Fusion automatique seulement si la probabilité atteint ([\d,]+)", README)
    assert merge and french_number(merge.group(1)) == matching.AUTO_PROBABILITY
    grid = re.search(r"blocage spatial \(grille de ([\d,]+) km, tous\s+les points à moins de (\d+) m, noms "
                     r"voisins jusqu'à ([\d,]+) km\)", README)
    assert grid, "the README no longer describes the spatial blocking"
    assert french_number(grid.group(1)) * 1000 == blocking.AREA_M == french_number(grid.group(3)) * 1000
    assert int(grid.group(2)) == blocking.NEAR_M


def test_every_command_the_readme_names_exists():
    named = set(re.findall(r"`tilios ([a-z_-]+)", README))
    assert len(named) > 10
    missing = sorted(named - set(get_commands()) - DJANGO_COMMANDS)
    assert missing == [], f"the README names commands that do not exist: {missing}"


def environment_variables_of_the_code():
    found = set()
    for path in [*(ROOT / "tilios").rglob("*.py"), *(ROOT / "scripts").iterdir()]:
        found |= set(re.findall(r"\bTILIOS_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8", errors="replace")))
    return found


@pytest.mark.parametrize("direction", ["documented", "real"])
def test_the_readme_and_the_code_name_the_same_settings(direction):
    in_readme = set(re.findall(r"\bTILIOS_[A-Z_]+[A-Z]\b", README))
    in_code = environment_variables_of_the_code()
    if direction == "documented":
        assert sorted(in_code - in_readme) == [], "settings the code reads that the README does not document"
    else:
        assert sorted(in_readme - in_code) == [], "settings the README documents that the code does not read"
