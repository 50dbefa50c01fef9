"""The 2011 evaluation of rural télécentres, reproduced.

Source: Bruno Moriset, « Les télécentres dans les territoires ruraux français. Essai d'évaluation »,
note de recherche, 24 mars 2011 (cited in the Movilab discussion of the Mission Coworking report):
of 28 télécentres studied, 10 never saw a teleworker, 8 had one to five regular users. The 6 / 4 split of
the other 10 (sporadic use / more than five regulars) is the issue's reading of the same note.

An illustrative programme of 28 places in rural communes gets 15 monthly reports each (Dec 2009 – Feb
2011), shaped to fall into the four bands; `tilios evaluate`, the API and the web page must all print
10 / 6 / 8 / 4 as of 24 March 2011.
"""
import datetime
import io
import json
import re

import pytest
from django.core.management import call_command

from tilios.activity import evaluation, periods, schemes, snapshots
from tilios.activity.models import ActivityReport
from tilios.places.models import Place
from tilios.policy.models import Programme
from tilios.territories.models import Commune

pytestmark = pytest.mark.django_db

ON = datetime.date(2011, 3, 24)
SLUG = "telecentres-ruraux-2011-illustration"
PUBLISHED = {"never": 10, "sporadic": 6, "regular_1_5": 8, "regular_6_plus": 4}
DESK_DAYS = 4 * 21  # four desks (the DATAR call funded 20 000 € for four work stations), 21 working days


def months(first=datetime.date(2009, 12, 1), count=15):
    return [periods.add_months(first, i) for i in range(count)]


def figures(shape, k, i, start):
    """(regular users, occasional visits, desk-days used, events) of place k's i-th month."""
    in_window = start >= datetime.date(2010, 3, 1)
    if shape == "never":
        # Busy before the window for some: only the 12 months up to the evaluation date count.
        return (0, 0, 0, 0) if in_window or k % 3 else (2, 3, 10, 1)
    if shape == "sporadic":
        visits = (1 + (i + k) % 3) if (i + k) % 4 == 0 else 0
        return (1 if visits and i == 5 else 0, visits, visits, 0)
    if shape == "regular_1_5":
        regular = 1 + (i + k) % 5
        return (regular, (i + k) % 3, regular * 8, i % 2)
    regular = 6 + (i + k) % 5
    return (regular, 2 + (i + k) % 4, min(DESK_DAYS, regular * 8), 1)


def build_2011():
    communes = list(Commune.objects.filter(kind=Commune.Kind.CURRENT, population__lt=2000, population__gt=100)
                    .exclude(epci__kind__in=["METRO", "MET69"]).select_related("departement", "region", "epci")
                    .order_by("code")[::900][:28])
    assert len(communes) == 28
    programme = Programme.objects.create(
        slug=SLUG, name="Télécentres ruraux étudiés en 2011 (illustration)", kind=Programme.Kind.CALL,
        budget_eur=28 * 20000,
        description="Programme illustratif de test : 28 télécentres fictifs en communes rurales reproduisant "
                    "les chiffres publiés par B. Moriset (2011).")
    shapes = [s for s, n in PUBLISHED.items() for _ in range(n)]
    reports = []
    for k, (shape, commune) in enumerate(zip(shapes, communes)):
        place = Place.objects.create(name=f"Télécentre illustratif {k + 1:02d}", commune=commune,
                                     departement=commune.departement, region=commune.region, epci=commune.epci,
                                     in_metropole=False, capacity=4, latitude=commune.latitude,
                                     longitude=commune.longitude)
        programme.places.add(place)
        for i, start in enumerate(months()):
            regular, visits, used, events = figures(shape, k, i, start)
            report = ActivityReport(place=place, period_start=start, period_end=periods.month_end(start),
                                    regular_users=regular, occasional_visits=visits, desk_days_used=used,
                                    desk_days_available=DESK_DAYS, events=events,
                                    reported_by_kind=ActivityReport.ReportedBy.SURVEY,
                                    reliability=ActivityReport.Reliability.ESTIMATED, source="test 2011")
            report.refresh_derived()
            reports.append(report)
    ActivityReport.objects.bulk_create(reports)
    return programme


@pytest.fixture
def programme_2011():
    return build_2011()


def band_counts_in(text):
    labels = {"never": "jamais utilisé", "sporadic": "usage sporadique, mois vides",
              "regular_1_5": "1 à 5 usagers réguliers", "regular_6_plus": "plus de 5 usagers réguliers",
              "unknown": "activité inconnue"}
    return {code: int(re.search(re.escape(label) + r"\s+(\d+)", text).group(1)) for code, label in labels.items()}


def test_cli_prints_the_published_figures(programme_2011):
    out = io.StringIO()
    call_command("evaluate", "--programme", SLUG, "--on", ON.isoformat(), stdout=out)
    text = out.getvalue()
    print("\n" + text)
    assert band_counts_in(text) == {**PUBLISHED, "unknown": 0}
    assert "Lieux du programme : 28" in text
    assert "rural" in text and "hors métropole" in text


def test_service_and_sql_distribution_agree(programme_2011):
    result = evaluation.evaluate_programme(programme_2011, ON)
    assert {b["code"]: b["count"] for b in result["bands"]} == PUBLISHED
    assert result["unknown"]["count"] == 0
    assert result["groups"]["rural"]["places"] == 28 and result["groups"]["urbain"]["places"] == 0
    assert result["groups"]["hors métropole"]["bands"]["never"] == 10
    # 10 never used + 6 sporadic are empty most months; the regular places are not.
    assert result["empty_most_of_the_time"]["count"] == 16
    assert result["cost"]["per_regular_user"] == round(560000 / result["regular_users"])
    distribution = snapshots.band_distribution(schemes.current_scheme(), ON, ("programme", programme_2011.pk))
    assert {k: v for k, v in distribution.items() if k != "unknown"} == PUBLISHED


def test_csv_and_json_formats(programme_2011):
    out = io.StringIO()
    call_command("evaluate", "--programme", SLUG, "--on", ON.isoformat(), "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert {b["code"]: b["count"] for b in data["bands"]} == PUBLISHED
    assert data["scheme"]["code"] == "moriset-2011" and data["window"]["start"] == "2010-03-25"
    out = io.StringIO()
    call_command("evaluate", "--programme", SLUG, "--on", ON.isoformat(), "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 29 and lines[0].startswith("place,name,commune")
    assert sum(",never," in line for line in lines) == 10


def test_api_gives_the_same_figures(client, programme_2011):
    response = client.get(f"/api/programmes/{SLUG}/evaluation", {"on": ON.isoformat()})
    assert response.status_code == 200
    data = response.json()
    assert {b["code"]: b["count"] for b in data["bands"]} == PUBLISHED
    assert data["unknown"]["count"] == 0


def test_web_page_gives_the_same_figures(client, programme_2011):
    response = client.get(f"/politiques/programmes/{SLUG}/evaluation/", {"on": ON.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    for code, count in PUBLISHED.items():
        assert re.search(rf'data-band="{code}"[^>]*>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>{count}</td>', html), code
    assert "<svg" in html and "style=" not in html and "<script" not in html
    csv_response = client.get(f"/politiques/programmes/{SLUG}/evaluation/", {"on": ON.isoformat(), "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")


def test_window_moves_with_the_date(programme_2011):
    # A year later nothing was reported any more: every place is « activité inconnue », never « jamais utilisé ».
    result = evaluation.evaluate_programme(programme_2011, datetime.date(2012, 6, 30))
    assert result["unknown"]["count"] == 28 and all(b["count"] == 0 for b in result["bands"])
    # Before the window of the study, the places busy in the winter 2009-2010 were not « never used ».
    early = evaluation.evaluate_programme(programme_2011, datetime.date(2010, 3, 1))
    assert {b["code"]: b["count"] for b in early["bands"]}["never"] < 10
