"""First start: the territory reference, the national base of the 2018 Mission Coworking and the policy
archive's first entries. It orchestrates several apps, so it lives with the instance, above them all."""
from django.conf import settings

from tilios.places.models import Place
from tilios.policy.seed import seed
from tilios.sources.models import Source
from tilios.sources.services import run_import
from tilios.territories.services import is_loaded, load_reference

DEMO_CSV = settings.DATA_DIR / "cget-mission-coworking-2019" / "cget_tierslieux_2019.csv"


def ensure_demo_data(stdout=None, progress=None):
    """Load what an empty database needs to be useful; a database already in use is left alone."""
    if not is_loaded():
        counts = load_reference()
        if stdout:
            stdout.write("Référentiel des territoires chargé : " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if not Place.objects.exists():
        # The base is recorded as known from the day CGET published it (13 June 2019), and loaded as
        # published: its own likely duplicates wait in the review queue instead of being merged.
        summary = run_import("cget", DEMO_CSV, progress=progress, auto_merge=False,
                             known_on=Source.objects.get(slug="cget-mission-coworking-2019").data_date)
        if stdout:
            stdout.write(f"Base nationale CGET importée : {summary.created} lieux, "
                         f"{summary.review_items} doublons possibles à examiner")
    seed()
