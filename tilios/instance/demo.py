"""First start: the territory reference, the open directories Tilios ships and the policy archive's first
entries. It orchestrates several apps, so it lives with the instance, above them all.

The directories are loaded in the order they were published, each as known from its own publication date:
the national base of the 2018 Mission Coworking (2019), then the regional ones that overlap it — MapLabBZH in
2016 and 2020, Hinaura (2022), Hub du Sud (2023). So the census has two clocks to show on a fresh instance
(« valid in 2018 as known in 2019, as known today »), and estimates have overlapping sources to compare.
Only files whose licence lets them ship are here (Licence Ouverte, CC BY); see each folder's PROVENANCE.md.
"""
import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tilios.places.models import Place
from tilios.policy.seed import seed
from tilios.sources.models import ImportRun, Source
from tilios.sources.services import file_sha256, run_import
from tilios.territories.services import is_loaded, load_reference

DATA = settings.DATA_DIR


@dataclass(frozen=True)
class DemoFile:
    kind: str
    path: Path
    source: str
    known_on: datetime.date | None = None  # None: the source's own publication date
    mapping: Path | None = None
    # The reference base is loaded as published: its own likely duplicates wait in the review queue.
    auto_merge: bool = True


MAPLAB_MAPPING = DATA / "maplabbzh" / "maplabbzh.json"
CGET = DemoFile("cget", DATA / "cget-mission-coworking-2019" / "cget_tierslieux_2019.csv",
                "cget-mission-coworking-2019", auto_merge=False)
DEMO_FILES = (
    CGET,
    DemoFile("csv", DATA / "maplabbzh" / "maplabbzh_2016-08-26.csv", "maplabbzh", datetime.date(2016, 8, 26),
             MAPLAB_MAPPING),
    DemoFile("csv", DATA / "maplabbzh" / "maplabbzh_2020-05-26.csv", "maplabbzh", datetime.date(2020, 5, 26),
             MAPLAB_MAPPING),
    DemoFile("mednum", DATA / "mednum-hinaura-2022" / "hinaura_lieux.csv", "mednum-hinaura"),
    DemoFile("mednum", DATA / "mednum-hub-du-sud-2023" / "hub_du_sud_lieux_2023-05-16.csv", "mednum-hub-du-sud"),
)


def _to_load(files):
    """The demo files still to import: all of them on an empty registry; on a registry the demo started to fill
    (a first start stopped half-way), those not yet imported; none on a registry already in use otherwise."""
    done = set(ImportRun.objects.filter(status=ImportRun.Status.DONE).values_list("file_sha256", flat=True))
    pending = [f for f in files if file_sha256(f.path) not in done]
    if not Place.objects.exists() or len(pending) < len(files):
        return pending
    return []


def ensure_demo_data(stdout=None, progress=None, files=DEMO_FILES):
    """Load what an empty database needs to be useful; a database already in use is left alone."""
    if not is_loaded():
        counts = load_reference()
        if stdout:
            stdout.write("Référentiel des territoires chargé : " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    for demo in _to_load(files):
        source = Source.objects.get(slug=demo.source)
        # One transaction per file: before the site serves, no other writer waits for the lock, so the
        # import need not commit in short steps and pause between them as it does on a live site.
        with transaction.atomic():
            summary = run_import(demo.kind, demo.path, source=demo.source, progress=progress, mapping=demo.mapping,
                                 auto_merge=demo.auto_merge, known_on=demo.known_on or source.data_date)
        if stdout:
            stdout.write(f"{source.name} ({demo.path.name}, connu le {demo.known_on or source.data_date}) : "
                         f"{summary.created} lieux créés, {summary.matched} rapprochés d'un lieu connu, "
                         f"{summary.review_items} doublons possibles à examiner")
    seed()
