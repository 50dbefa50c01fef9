import datetime
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tilios.accounts.models import Role
from tilios.policy import figures, recycling, services
from tilios.policy.models import Announcement, Outcome, Programme, Promise
from tilios.revisions import services as rev
from tilios.revisions.models import Revision

DATA = Path(__file__).parent / "data"
D = datetime.date


def keys(text):
    return [f.key() for f in figures.extract(text)]


def test_figure_extraction_on_the_real_corpus():
    corpus = json.loads((DATA / "figures_corpus.json").read_text(encoding="utf-8"))
    tp = fp = fn = 0
    for sentence in corpus["sentences"]:
        got = [(f.kind, f.value, f.unit, f.high) for f in figures.extract(sentence["text"])]
        for kind, value, unit, *high in sentence["figures"]:
            expected = (kind, float(value), unit, float(high[0]) if high else None)
            if expected in got:
                got.remove(expected)
                tp += 1
            else:
                fn += 1
        fp += len(got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"figures: {len(corpus['sentences'])} sentences, {tp + fn} figures, precision {precision:.3f}, "
          f"recall {recall:.3f}")
    assert precision >= 0.95 and recall >= 0.95


@pytest.mark.parametrize("text, expected", [
    ("100 millions d'euros", ("amount", 1e8, "EUR")),
    ("100 M€", ("amount", 1e8, "EUR")),
    ("1,5 million d’euros", ("amount", 1.5e6, "EUR")),
    ("20 000 euros", ("amount", 2e4, "EUR")),
    ("20\u202f000 €", ("amount", 2e4, "EUR")),
    ("1.500.000 €", ("amount", 1.5e6, "EUR")),
    ("3 Md€", ("amount", 3e9, "EUR")),
    ("150 k€", ("amount", 1.5e5, "EUR")),
    ("deux cent cinquante millions d'euros", ("amount", 2.5e8, "EUR")),
    ("13 millions de Français", ("count", 1.3e7, "personnes")),
    ("quatre postes de travail", ("count", 4, "postes de travail")),
    ("vingt et un tiers-lieux", ("count", 21, "tiers-lieux")),
    ("d'ici 2022", ("deadline", 2022, "année")),
    ("à l’horizon 2007", ("deadline", 2007, "année")),
    ("52 %", ("percent", 52, "%")),
    ("à moins de 20 minutes d'un tiers-lieu", ("count", 20, "minutes")),
])
def test_figure_forms(text, expected):
    assert (figures.extract(text)[0].kind, figures.extract(text)[0].value, figures.extract(text)[0].unit) == expected


def test_articles_and_metres_are_not_figures():
    assert figures.extract("un lieu ouvert à tous, à 5 m de la gare") == []
    assert figures.extract("des salles de 5 à 10 m de long") == []


@pytest.mark.parametrize("text, expected", [
    ("Annoncé le 14 décembre 2017 à Paris.", ["year:2017:année"]),
    ("Le 1er mars, 40 lieux ont ouvert.", ["count:40:lieux"]),
    ("Depuis le 03/02/2020, 80 labellisations.", ["year:2020:année", "count:80:labellisations"]),
])
def test_dates_are_never_counts(text, expected):
    assert keys(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Financé à hauteur de 75 000 à 150 000 euros sur trois ans.", ("amount", 75000, 150000, "EUR")),
    ("une enveloppe de 75 000 € à 150 000 € par lieu", ("amount", 75000, 150000, "EUR")),
    ("entre 10 et 20 millions d'euros", ("amount", 1e7, 2e7, "EUR")),
    ("de 3 à 5 tiers-lieux par département", ("count", 3, 5, "tiers-lieux")),
])
def test_ranges_are_ranges_with_their_unit(text, expected):
    first = figures.extract(text)[0]
    assert (first.kind, first.value, first.high, first.unit) == expected
    assert len([f for f in figures.extract(text) if f.kind in ("amount", "count")]) == 1


def test_a_change_from_one_figure_to_another_is_two_figures_of_one_unit():
    assert keys("Le budget passe de 62 à 27 millions d'euros.") == ["amount:62000000:EUR", "amount:27000000:EUR"]
    assert keys("de 12 à 8 tiers-lieux en deux ans") == ["count:12:tiers-lieux", "count:8:tiers-lieux"]


@pytest.mark.parametrize("text, on, year", [
    ("Les lieux ouvriront dans les deux ans.", D(2019, 7, 17), 2021),
    ("Un réseau national sera créé d'ici 3 ans.", D(2021, 1, 5), 2024),
    ("D'ici la fin du quinquennat, 300 fabriques.", D(2019, 6, 17), 2022),
    ("Avant la fin du quinquennat, chaque département aura son tiers-lieu.", D(2022, 9, 1), 2027),
    ("D'ici la fin de l'année, 80 projets.", D(2023, 9, 11), 2023),
])
def test_relative_deadlines_resolve_against_the_announcement_date(text, on, year):
    assert f"deadline:{year}:année" in [f.key() for f in figures.extract(text, on=on)]
    assert not [f for f in figures.extract(text) if f.kind == "deadline"]  # no date known: no guess


def test_a_reprise_of_the_fabriques_is_found_despite_the_seeds_extra_figures():
    from tilios.policy.seed import archive

    seeded_entry = next(a for a in archive()["announcements"] if a["title"].startswith("300 Fabriques"))
    seeded, made_on = seeded_entry["text"], seeded_entry["made_on"]
    reprise = "Le gouvernement annonce 300 Fabriques de territoire d'ici 2022, avec 45 M€ pour les tiers-lieux."
    match = recycling.compare(reprise, keys(reprise), seeded, [f.key() for f in figures.extract(seeded, on=made_on)])
    assert match is not None and "chiffres" in match.reasons


def test_lemmas_see_through_inflection_and_elision():
    assert recycling.lemmas("Les fabriques seront soutenues par l’État") >= {"fabrique", "soutenu", "etat"}
    assert recycling.lemmas("La fabrique est soutenue par l'état") >= {"fabrique", "soutenu", "etat"}


def test_boilerplate_figures_and_other_horizons_are_no_evidence():
    a = "Objectif : 16 fablabs dans le Pilat d'ici 2020, pour 42,7 millions d'euros. Priorité aux communes de moins de 3 500 habitants."
    b = "Objectif : 16 fablabs dans le Gers d'ici 2011, pour 42,7 millions d'euros. Priorité aux communes de moins de 3 500 habitants."
    assert recycling.compare(b, keys(b), a, keys(a)) is None  # the same sums for another horizon
    c = "Objectif : 12 cafés associatifs dans le Gers, pour 8 millions d'euros. Priorité aux communes de moins de 3 500 habitants."
    d = "Objectif : 30 micro-folies en Corse, pour 8 millions d'euros. Priorité aux communes de moins de 3 500 habitants."
    assert recycling.compare(d, keys(d), c, keys(c), common={"count:3500:personnes"}) is None


def test_recycled_detection_on_labelled_pairs():
    pairs = json.loads((DATA / "recycled_pairs.json").read_text(encoding="utf-8"))["pairs"]
    tp = fp = fn = tn = 0
    for pair in pairs:
        found = recycling.compare(pair["b"], keys(pair["b"]), pair["a"], keys(pair["a"])) is not None
        tp += found and pair["label"]
        fp += found and not pair["label"]
        fn += not found and pair["label"]
        tn += not found and not pair["label"]
    print(f"recycled: {len(pairs)} pairs, precision {tp / max(tp + fp, 1):.2f}, recall {tp / max(tp + fn, 1):.2f}")
    assert fp == 0 and tp >= 5


def test_minhash_estimates_jaccard():
    a = recycling.shingles("le programme vise à pérenniser le fonctionnement des tiers-lieux de tous les territoires "
                           "ruraux et urbains de France")
    b = recycling.shingles("le programme vise à pérenniser le fonctionnement des tiers-lieux de tous les territoires "
                           "ruraux et périurbains de France")
    exact = recycling.jaccard(a, b)
    sa, sb = recycling.minhash(a), recycling.minhash(b)
    assert abs(float((sa == sb).mean()) - exact) < 0.15


@pytest.mark.django_db
class TestArchive:
    @pytest.fixture
    def editor(self):
        user = get_user_model().objects.create_user("archiviste", "a@example.org", "x")
        user.profile.role = Role.TRUSTED
        user.profile.save()
        return user

    def test_seed_documents_the_2005_call_with_sources(self):
        call = Programme.objects.get(slug="datar-telecentres-2005")
        announcement = call.announcements.get()
        assert announcement.source_url.startswith("https://movilab.org/")
        assert {(f.kind, f.value, f.unit) for f in announcement.figures.all()} >= {
            ("count", 100, "télécentres"), ("count", 1000, "emplois"), ("deadline", 2007, "année"),
            ("amount", 20000, "EUR"), ("count", 4, "postes de travail")}
        verdicts = {p.metric: services.status(p).status for p in call.promises.all()}
        assert verdicts == {"télécentres ouverts": "broken", "emplois accueillis dans les télécentres": "unverifiable"}
        failures = services.past_failures()
        assert "télécentres ouverts" in [p.metric for p, _v in failures]
        assert all(v.status == "broken" and v.latest.value < p.target_value / 2 for p, v in failures)

    def test_status_rule(self):
        announcement = Announcement.objects.first()
        promise = Promise.objects.create(announcement=announcement, metric="lieux", target_value=100, unit="lieux",
                                         deadline=D(2024, 12, 31))

        def verdict(today):
            return services.status(Promise.objects.get(pk=promise.pk), today).status

        assert verdict(D(2024, 1, 1)) == "not_yet_due"
        Outcome.objects.create(promise=promise, value=40, measured_on=D(2024, 6, 1), source_url="https://x.example")
        assert verdict(D(2024, 7, 1)) == "in_progress"  # never counted as kept
        assert verdict(D(2025, 1, 1)) == "broken"
        Outcome.objects.create(promise=promise, value=60, measured_on=D(2025, 3, 1), source_url="https://x.example")
        assert verdict(D(2025, 4, 1)) == "partially_kept"
        Outcome.objects.create(promise=promise, value=100, measured_on=D(2025, 9, 1), source_url="https://x.example")
        assert verdict(D(2025, 10, 1)) == "kept_late"
        no_outcome = Promise.objects.create(announcement=announcement, metric="x", target_value=1, unit="u",
                                            deadline=D(2020, 1, 1))
        assert services.status(no_outcome, D(2021, 1, 1)).status == "unverifiable"

    def test_outcome_counted_from_the_registry(self):
        from tilios.places.models import Place

        programme = Programme.objects.get(slug="nouveaux-lieux-nouveaux-liens")
        programme.places.set(Place.objects.filter(departement_id="42")[:5])
        promise = Promise.objects.create(announcement=programme.announcements.first(), programme=programme,
                                         metric="lieux du programme", target_value=5, unit="lieux",
                                         deadline=D(2022, 12, 31), count_from_registry=True)
        verdict = services.status(promise, D(2026, 1, 1))
        assert verdict.latest.value == 5 and verdict.status == "kept"

    def test_new_announcement_finds_the_earlier_one_it_repeats(self, editor):
        original = Announcement.objects.get(title__startswith="300 Fabriques")
        repeat, revision = rev.create(Announcement, {
            "made_on": "2020-02-03", "title": "Les fabriques de territoire",
            "text": "D'ici 2022, l'État veut repérer 300 Fabriques de territoire, dont 150 fabriques dans les "
                    "quartiers prioritaires et 150 hors des grands pôles urbains ; le programme est doté de "
                    "45 millions d’euros.",
            "source_url": "https://example.org/communique"}, editor, "nouvelle annonce")
        assert revision.status == Revision.Status.ACCEPTED
        matches = services.recycled(repeat)
        found = {m.other.pk: m for m in matches}
        assert original.pk in found  # and the archive's own reprises of the same promise
        assert "chiffres" in found[original.pk].reasons and "count:300:fabriques" in found[original.pk].shared_figures
        assert all("fabrique" in (m.other.title + m.other.text).lower() for m in matches)
        cluster = next(c for c in services.clusters() if repeat in c)
        assert original in cluster and cluster.index(original) < cluster.index(repeat)

    def test_announcements_are_revisable_and_hand_figures_survive(self, editor):
        announcement = Announcement.objects.get(title__startswith="Plan national")
        services.add_figure(announcement, "count", 4000, "conseillers numériques", "4 000 conseillers")
        revision = rev.edit(announcement, {"text": announcement.text + " Mise à jour."}, editor, "complément",
                            announcement.current_revision_id)
        assert revision.number == 2 and revision.diff["text"][1].endswith("Mise à jour.")
        assert announcement.figures.filter(by_hand=True).count() == 1
        assert announcement.figures.filter(by_hand=False).count() == 2

    def test_cli_promises(self):
        out = io.StringIO()
        call_command("promises", "--format", "json", stdout=out)
        rows = json.loads(out.getvalue())
        # the seeded archive spans every verdict a promise of the past can get
        assert {r["status"] for r in rows} >= {"broken", "unverifiable", "kept", "kept_late", "partially_kept"}
        out = io.StringIO()
        call_command("promises", "--actor", "DATAR", "--status", "broken", stdout=out)
        assert "télécentres ouverts" in out.getvalue() and "non tenue" in out.getvalue()
