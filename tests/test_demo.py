"""The first start's demo (issue #15 item 5): next to the CGET base, the open regional directories that overlap it,
shipped in tilios/data with their provenance, each loaded as known from its publication date, so the census
shows its two clocks with real, different numbers and estimates have sources to compare."""
import datetime
import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from tilios.census import services
from tilios.census.estimation import estimate_population
from tilios.instance import demo
from tilios.sources.licences import LICENCES
from tilios.sources.models import ImportRun, Source, SourceRecord

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def full_demo():
    """The test database holds the CGET base; a first start that stopped there goes on with the rest."""
    demo.ensure_demo_data()


def census(*args):
    out = io.StringIO()
    call_command("census", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_the_demo_files_ship_with_their_provenance_and_a_licence_that_lets_them(full_demo):
    for demo_file in demo.DEMO_FILES:
        assert demo_file.path.is_file() and demo_file.path.is_relative_to(settings.DATA_DIR)
        assert (demo_file.path.parent / "PROVENANCE.md").is_file()
        source = Source.objects.get(slug=demo_file.source)
        licence = LICENCES[source.licence_code]
        assert source.licence_code in {"etalab-2.0", "cc-by-4.0"} and not licence.share_alike, source.slug
        assert source.attribution
    assert not any(f.source in {"mednum-bfc", "fablabs-io"} for f in demo.DEMO_FILES)  # ODbL; no stated licence
    runs = {(r.source.slug, r.known_on) for r in ImportRun.objects.filter(status=ImportRun.Status.DONE)}
    assert {("maplabbzh", D(2016, 8, 26)), ("maplabbzh", D(2020, 5, 26)), ("mednum-hinaura", D(2022, 9, 30)),
            ("mednum-hub-du-sud", D(2023, 5, 16)), ("cget-mission-coworking-2019", D(2019, 6, 13))} <= runs
    for slug, rows in (("mednum-hinaura", 687), ("mednum-hub-du-sud", 792)):
        assert SourceRecord.objects.filter(source__slug=slug).count() >= rows - 10
    # Started again, it loads nothing twice; on a registry in use that is not the demo's, it loads nothing.
    before = ImportRun.objects.count()
    demo.ensure_demo_data()
    assert ImportRun.objects.count() == before
    ImportRun.objects.all().delete()
    assert demo._to_load(demo.DEMO_FILES) == []


def test_the_census_shows_both_clocks_with_real_different_numbers(full_demo, client):
    today = timezone.localdate().isoformat()
    # As known in 2016, MapLabBZH's first snapshot alone; as known today, every directory since.
    in_2016 = census("--definition", "tiers-lieux", "--valid-on", today, "--known-on", "2016-12-31")
    now = census("--definition", "tiers-lieux", "--valid-on", today, "--known-on", today)
    assert 50 <= in_2016["total"] < now["total"] and now["total"] > 2500
    then = census("--definition", "tiers-lieux", "--valid-on", "2018-12-31", "--known-on", "2019-12-31")
    later = census("--definition", "tiers-lieux", "--valid-on", "2018-12-31", "--known-on", today)
    assert then["total"] > 0 and then["possible"] > 0 and later["possible"] > then["possible"]
    # The order of the clocks does not depend on the order of the imports: 2016 is before CGET's 2019.
    assert census("--definition", "tiers-lieux", "--valid-on", "2016-09-01", "--known-on", "2016-09-01")["total"] > 0
    text = client.get("/recensement/").content.decode()
    early = re.search(r'class="contrast-early" data-then="(\d+)" data-now="(\d+)"', text)
    assert early and 0 < int(early.group(1)) < int(early.group(2))
    assert "le 26 août 2016" in text
    possible = re.search(r'class="contrast-possible" data-then="(\d+)" data-now="(\d+)"', text)
    assert possible and 0 < int(possible.group(1)) < int(possible.group(2))


def test_overlapping_demo_sources_give_a_scoped_estimate(full_demo):
    result = estimate_population(["cget-mission-coworking-2019", "maplabbzh"])
    assert result["scope"]["departements"] == ["22", "29", "35", "44", "56"] and result["overlap"] >= 10
    assert result["estimates"] and "scopes_differ" in [w["code"] for w in result["warnings"]]
    regions = estimate_population(["mednum-hinaura", "mednum-hub-du-sud"])
    assert regions["estimates"] == [] and "no_common_scope" in [w["code"] for w in regions["warnings"]]
    assert services.get_definition("cget-2018")  # the definitions the page offers are there
