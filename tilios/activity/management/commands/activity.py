import json

from django.core.management.base import BaseCommand, CommandError

from tilios.activity import evaluation, per_place, periods
from tilios.places.models import Place

from ._importing import add_import_arguments, run_import


class Command(BaseCommand):
    help = ("Activité des lieux : « tilios activity import FICHIER.csv » (rapports d’enquête), "
            "« tilios activity show ID_LIEU [--on DATE] » (indicateurs d’un lieu)")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add_import_arguments(sub.add_parser("import", help="importer un CSV de rapports d’activité"))
        show = sub.add_parser("show", help="indicateurs d’un lieu")
        show.add_argument("place", help="identifiant Tilios du lieu")
        show.add_argument("--on", help="date de l’évaluation (AAAA-MM-JJ, défaut : aujourd’hui)")

    def handle(self, action, **options):
        if action == "import":
            return run_import(self, **options)
        place = Place.objects.filter(public_id=options["place"]).first()
        if place is None:
            raise CommandError(f"lieu inconnu : {options['place']}")
        try:
            on = periods.parse_date(options.get("on"))
        except Exception as exc:
            raise CommandError(str(exc))
        self.stdout.write(json.dumps(evaluation.jsonable(per_place.place_indicators(place, on)), ensure_ascii=False,
                                     indent=1))
