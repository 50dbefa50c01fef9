"""Twenty-five years of real announcements seed the archive, and a published study is an outcome with its
distribution, shown on the programme's evaluation beside the places' own reports (web, JSON, command line);
studies are written through the API and the command line like any outcome."""
import datetime
import io
import json
from html import escape

import pytest
from api_client import Caller, ok
from django.core.management import call_command
from django.test import Client
from people import make_user

from tilios.accounts.models import Role
from tilios.activity import importing, reporting
from tilios.activity.models import ActivityReport
from tilios.places.models import Place
from tilios.policy import services
from tilios.policy.models import Announcement, Outcome, Programme, Promise
from tilios.policy.seed import archive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
EVALUATION = "/politiques/programmes/datar-telecentres-2005/evaluation/"
STUDY = [{"label": "jamais de télétravailleur", "count": 10, "band": "never"},
         {"label": "quelques usagers", "count": 4, "band": "regular_1_5"},
         {"label": "un réseau décrit en bloc", "count": 3}]


def test_the_seed_is_the_archive_file_twenty_five_years_each_entry_sourced():
    data = archive()
    announcements = Announcement.objects.filter(is_published=True)
    assert announcements.count() == len(data["announcements"]) >= 60
    assert Promise.objects.count() == sum(len(a.get("promises", [])) for a in data["announcements"]) >= 20
    years = {a.made_on.year for a in announcements}
    assert min(years) == 2000 and max(years) >= 2025 and len(years) >= 18
    for a in announcements.prefetch_related("actors"):
        assert a.source_url.startswith(("http://", "https://")) and a.source_title, a.title
        assert a.actors.exists() and a.current_revision is not None, a.title
    assert not Outcome.objects.filter(source_url="").exists()
    # what the file says is what was loaded, entry for entry
    loaded = {(a.made_on, a.title) for a in announcements}
    assert loaded == {(a["made_on"], a["title"]) for a in data["announcements"]}


def test_the_seed_spans_every_verdict_and_dates_are_never_counts():
    verdicts = {v.status for _p, v in services.promises(today=datetime.date(2026, 12, 4))}
    assert verdicts >= {"kept", "kept_late", "partially_kept", "broken", "in_progress", "unverifiable"}
    circular = Announcement.objects.get(made_on=datetime.date(2001, 8, 23))
    assert not circular.figures.filter(kind="count", value=23).exists()  # « 23 août 2001 » is a date
    fabriques = Announcement.objects.get(made_on=datetime.date(2019, 7, 11))
    assert fabriques.figures.filter(kind="amount", value=75000, high=150000, unit="EUR").exists()


def test_the_archive_finds_the_real_reprises_it_holds():
    """Labelled pairs from the seeded archive (never tuned on): the Fabriques' 300 and 45 M€ repeated at
    each wave, the Nouvelle-Aquitaine's 300 tiers-lieux whose deadline moves from 2020 to 2021, and the
    1 000 Micro-Folies announced in June and again in September 2019."""
    def day(iso):
        return Announcement.objects.get(made_on=datetime.date.fromisoformat(iso), title__icontains=words[iso])

    words = {"2019-06-17": "Fabriques", "2021-03-30": "Fabriques", "2017-04-13": "300", "2018-06-14": "300",
             "2020-12-17": "300", "2019-09-16": "Micro-Folies"}
    clusters = [set(c) for c in services.clusters()]
    together = [("2019-06-17", "2021-03-30"), ("2017-04-13", "2018-06-14"), ("2018-06-14", "2020-12-17")]
    for first, second in together:
        assert any({day(first), day(second)} <= c for c in clusters), (first, second)
    micro = Announcement.objects.get(made_on=datetime.date(2019, 6, 17), title__icontains="Micro-Folies")
    assert any({micro, day("2019-09-16")} <= c for c in clusters)
    # different programmes that merely share a year are not reprises
    france_services = Announcement.objects.get(made_on=datetime.date(2019, 4, 25), title__icontains="France Services")
    assert not any({france_services, micro} <= c for c in clusters)


def test_a_wave_that_quotes_a_pending_promise_again_repeats_it():
    """Real reprises restate the target among their own news and share no sentence: « environ 2 000 d'ici 2022 »
    in the first France Services labels repeats the April 2019 promise. A promise past its deadline is not
    repeated by a later wave with the same number: the 2024 wave's 80 Fabriques is a new promise, not 2023's."""
    promised = Announcement.objects.get(made_on=datetime.date(2019, 4, 25), title__icontains="France Services")
    first_labels = Announcement.objects.get(made_on=datetime.date(2019, 11, 15))
    match = next(m for m in services.recycled(first_labels) if m.other == promised)
    assert match.reasons == ["promesse"] and match.text_similarity < 0.1 and match.shared_figures == ["count:2000:"]
    wave_2024 = Announcement.objects.get(made_on=datetime.date(2024, 10, 28))
    wave_2023 = Announcement.objects.get(made_on=datetime.date(2023, 9, 11), title__startswith="Nouvelle vague")
    assert wave_2023 not in [m.other for m in services.recycled(wave_2024)]
    # the page says why
    html = Client().get(first_labels.get_absolute_url()).content.decode()
    assert "reprend une promesse" in html and escape(promised.title) in html


def test_a_figure_of_the_programme_quoted_again_repeats_an_announcement_that_promised_nothing():
    """The 2025 Nouvelle-Aquitaine strategy repeats « à moins de 20 minutes d'un tiers-lieu », a goal the
    region never recorded as a promise; the Manufactures' call for projects repeats the 100 of the August 2021
    plan, which made none either. A figure shared across programmes, even by one actor, is no reprise: the
    circular on the 4 000 conseillers and the pass numérique both quote « 13 millions de Français »."""
    def announced(title):
        return Announcement.objects.get(title=title)

    strategy = announced("Nouvelle-Aquitaine : aucun habitant à plus de 20 minutes d'un tiers-lieu")
    first = announced("Nouvelle-Aquitaine : environ 300 tiers-lieux en 2020")
    match = next(m for m in services.recycled(strategy) if m.other == first)
    assert match.reasons == ["chiffre"] and match.shared_figures == ["count:20:minutes"]
    plan = announced("130 millions d'euros pour les tiers-lieux, dont 100 Manufactures de proximité")
    assert not plan.promises.exists()
    call = announced("Appel à manifestation d'intérêt : 100 Manufactures de proximité en trois vagues")
    assert [m.reasons for m in services.recycled(call) if m.other == plan] == [["chiffre"]]
    circular = announced("Circulaire : 4 000 conseillers numériques, 250 millions d'euros")
    pass_numerique = announced("10,5 millions d'euros pour un million de pass numériques")
    assert circular.figures.filter(key="count:13000000:personnes").exists()
    assert pass_numerique.figures.filter(key="count:13000000:personnes").exists()
    assert pass_numerique not in [m.other for m in services.recycled(circular)]
    html = Client().get(call.get_absolute_url()).content.decode()
    assert "reprend un chiffre du programme" in html and escape(plan.title) in html


def test_the_datar_evaluation_shows_the_2011_study_instead_of_empty_reports(client):
    response = client.get(EVALUATION)
    html = response.content.decode()
    assert response.status_code == 200 and "Études publiées" in html and "Étude du 24 mars 2011 : 28 lieux" in html
    assert "jamais de télétravailleur" in html and "les études publiées sont la seule mesure" in html
    study = client.get(EVALUATION, {"format": "json"}).json()["studies"][0]
    assert study["places"] == 28 and [g["count"] for g in study["groups"]] == [10, 6, 8, 3, 1]
    assert study["outside_bands"] == 3 and study["method"].startswith("étude")
    compared = {c["code"]: (c["study"], c["reports"]) for c in study["compared"]}
    assert compared == {"never": (10, 0), "sporadic": (6, 0), "regular_1_5": (8, 0), "regular_6_plus": (1, 0)}
    assert round(sum(c["study_share"] for c in study["compared"]), 3) == 1.0  # shares of the 25 in bands
    out = io.StringIO()
    call_command("evaluate", "--programme", "datar-telecentres-2005", stdout=out)
    assert "Étude publiée (2011-03-24" in out.getvalue() and "→ jamais utilisé" in out.getvalue()


def test_a_study_stands_beside_the_places_own_reports(client):
    programme = Programme.objects.get(slug="datar-telecentres-2005")
    places = list(Place.objects.filter(is_published=True).order_by("id")[:3])
    programme.places.set(places)
    for place, regular in zip(places, (0, 3, 4)):
        reporting_data = {"period_start": "2025-11-01", "regular_users": regular, "occasional_visits": 0,
                          "desk_days_used": 0, "desk_days_available": 80, "events": 0}
        importing.save(reporting.build_report(place, reporting_data, None, ActivityReport.ReportedBy.SURVEY),
                       datetime.date(2026, 1, 15))
    study = client.get(EVALUATION, {"format": "json", "on": "2025-12-31"}).json()["studies"][0]
    reports = {c["code"]: c["reports"] for c in study["compared"]}
    assert reports["regular_1_5"] == 2 and sum(reports.values()) == 3
    html = client.get(EVALUATION, {"on": "2025-12-31"}).content.decode()
    assert "L’étude et les rapports des lieux, bande par bande" in html
    assert "les études publiées sont la seule mesure" not in html


def test_studies_are_written_through_the_api_with_their_distribution_checked(client):
    trusted = Caller(client, make_user("chercheuse", Role.TRUSTED))
    promise = Promise.objects.get(metric="télécentres ouverts")
    body = {"promise": promise.pk, "value": 17, "measured_on": "2012-06-30", "method": "étude de terrain",
            "source_url": "https://example.org/etude", "distribution": STUDY}
    created = ok(trusted.send("POST", "/api/policy/outcomes", {"data": body}), 201)
    assert Outcome.objects.get(pk=created["id"]).distribution == STUDY
    for bad, words in (([{"label": "x", "count": -1}], "entier positif"), ([{"label": "", "count": 1}], "libellé"),
                       ([{"label": "x", "count": 1, "band": "pas une bande"}], "bande"),
                       ([{"label": "x", "count": 1, "extra": 2}], "seulement"), ("dix", "liste")):
        refused = trusted.send("POST", "/api/policy/outcomes", {"data": {**body, "distribution": bad}})
        assert refused.status_code == 400 and words in json.dumps(refused.json(), ensure_ascii=False), bad
    assert Outcome.objects.filter(promise=promise, measured_on=datetime.date(2012, 6, 30)).count() == 1
    studies = client.get(EVALUATION, {"format": "json"}).json()["studies"]
    assert [s["measured_on"] for s in studies] == ["2011-03-24", "2012-06-30"]


def test_studies_through_the_command_line():
    make_user("archiviste", Role.TRUSTED)
    promise = Promise.objects.get(metric="télécentres ouverts")
    out = io.StringIO()
    call_command("archive", "add", "outcomes", json.dumps({
        "promise": promise.pk, "value": 17, "measured_on": "2012-06-30", "source_url": "https://example.org/e",
        "distribution": STUDY}), "--user", "archiviste", stdout=out)
    assert Outcome.objects.get(measured_on=datetime.date(2012, 6, 30)).is_study
