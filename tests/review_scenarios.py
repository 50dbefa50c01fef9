"""Review scenarios built by the real importer: small CGET files of three test sources (essai-a, essai-b,
essai-c) around Sainte-Lizaigne (Indre), where the national base has no place. The sources themselves are
the `review_sources` fixture of conftest.py."""
from tilios.places.models import Place
from tilios.revisions import services as rev
from tilios.sources.models import FieldConflict, MatchCandidate
from tilios.sources.services import run_import

HEADER = ("ID,NOM_TL,ADRESSE,CP,COMINIT,INSEECOM,NOMCOM,WEB,TWITTER,FACEBOOK,TYPO,LAT,LONG,GEOCOD,PRECISION,"
          "METRO,NOMMETRO,INSEEREG,NOMREG,INSEEMETRO,INSEEDEP,NOMCOMMETRO,POPCOM,COMCLASS,INSEE_ZE,NOM_ZE,"
          "CLASS_ZE,POP_ZE")
PRIORITIES = {"essai-a": 50, "essai-b": 60, "essai-c": 40}


def row(id_, name, lat=47.0, lon=2.0, address="12 rue des Tilleuls", web="grange-zephyr.fr",
        typo="Tiers lieux à dominante coworking"):
    return (f"{id_},{name},{address},36260,Sainte-Lizaigne,36199,,{web},,,{typo},{lat},{lon}" + "," * 15)


def cget_file(tmp_path, name, *rows):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def load(tmp_path, slug, *rows, name=None):
    """Import `rows` as the whole current file of source `slug`, through the real importer."""
    return run_import("cget", cget_file(tmp_path, name or f"{slug}.csv", *rows), source=slug)


def place_of(external_id):
    return Place.objects.get(records__external_id=external_id)


def pending_pair(tmp_path):
    """« La Grange Zéphyr » from two sources, 2,5 km apart: queued, not merged."""
    load(tmp_path, "essai-a", row("A1", "La Grange Zéphyr"))
    summary = load(tmp_path, "essai-b", row("B1", "La Grange Zéphyr", lat=47.0225, address=""))
    assert (summary.created, summary.matched, summary.review_items) == (1, 0, 1)
    a, b = place_of("A1"), place_of("B1")
    candidate = MatchCandidate.objects.get(place_a=min(a, b, key=lambda p: p.pk), place_b=max(a, b, key=lambda p: p.pk))
    return candidate, a, b


def joined_place(tmp_path):
    """« Le Hangar Boréal » from two sources 1,95 km apart: joined at import, positions disagree."""
    load(tmp_path, "essai-a", row("A9", "Le Hangar Boréal", lat=47.05, lon=2.05, web="hangar-boreal.fr"))
    summary = load(tmp_path, "essai-b", row("B9", "Le Hangar Boréal", lat=47.0675, lon=2.05, web="hangar-boreal.fr"))
    assert (summary.created, summary.matched) == (0, 1)
    place = place_of("A9")
    assert place == place_of("B9")
    return place


def conflicted_place(tmp_path, editor):
    """A person corrects the address, then the source publishes another one: a conflict, nothing overwritten."""
    load(tmp_path, "essai-c", row("C5", "La Fabrique des Possibles", lat=47.03, lon=1.97, web="fabrique-possibles.fr"))
    place = place_of("C5")
    rev.edit(place, {"address": "3 place du Marché"}, editor, "adresse vérifiée sur place", place.current_revision_id)
    summary = load(tmp_path, "essai-c", row("C5", "La Fabrique des Possibles", lat=47.03, lon=1.97,
                                            web="fabrique-possibles.fr", address="5 rue Neuve"))
    assert summary.review_items == 1
    place.refresh_from_db()
    assert place.address == "3 place du Marché"
    return place, FieldConflict.objects.get(place=place, status=FieldConflict.Status.PENDING)
