import sys

from django.core.management.base import BaseCommand, CommandError

from tilios.places import queries
from tilios.places.exports import WRITERS


class Command(BaseCommand):
    help = "Exporte les lieux en CSV ou GeoJSON, avec la licence et l'attribution de chaque source"

    def add_arguments(self, parser):
        parser.add_argument("out", help="fichier de sortie (- pour la sortie standard)")
        parser.add_argument("--format", choices=sorted(WRITERS), default="csv")
        parser.add_argument("--kind", action="append", default=[], help="type de lieu (répétable)")
        parser.add_argument("-q", "--query", default="", help="recherche par nom ou ville")

    def handle(self, out, format, kind, query, **options):
        try:
            places = queries.search(query, kind)
        except queries.QueryError as exc:
            raise CommandError(str(exc)) from exc
        if out == "-":
            count = WRITERS[format](places, sys.stdout)
        else:
            with open(out, "w", encoding="utf-8", newline="") as f:
                count = WRITERS[format](places, f)
            self.stderr.write(f"{count} lieux exportés dans {out}")
