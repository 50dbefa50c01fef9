import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from tilios.census import services


class Command(BaseCommand):
    help = "Estime le nombre total de lieux, y compris ceux qu'aucune source ne liste : --sources A,B[,C…]"

    def add_arguments(self, parser):
        parser.add_argument("--sources", required=True, help="identifiants des sources, séparés par des virgules")
        parser.add_argument("--definition", help="ne considérer que les lieux comptés par cette définition")
        parser.add_argument("--valid-on", type=datetime.date.fromisoformat)
        parser.add_argument("--known-on", type=datetime.date.fromisoformat)
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, sources, definition, valid_on, known_on, format, **options):
        try:
            d = services.get_definition(definition) if definition else None
            result = services.estimate_population(sources.split(","), d, valid_on, known_on)
        except services.CensusError as exc:
            raise CommandError(str(exc)) from exc
        if format == "json":
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
            return
        listed = ", ".join(f"{s} : {n}" for s, n in result["listed"].items())
        self.stdout.write(f"lieux observés : {result['observed']} ({listed})")
        for e in result["estimates"]:
            self.stdout.write(f"{e['method']:10} estimation {e['estimate']:.0f}  IC 95 % [{e['lower']:.0f} ; {e['upper']:.0f}]")
            for caveat in e["assumptions"]:
                self.stdout.write(f"    - {caveat}")
