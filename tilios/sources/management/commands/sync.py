"""`tilios sync URL --source SLUG`: follow another Tilios instance's change feed into a source."""
import datetime

from django.core.management.base import BaseCommand, CommandError

from tilios import progress
from tilios.sources import sync
from tilios.sources.importers import FileError


class Command(BaseCommand):
    help = ("Suit le fil des modifications d'une autre instance de Tilios dans une source : "
            "tilios sync URL --source SLUG [--since CURSEUR] [--region CODE] [--departement CODE] [--kind K] "
            "[--dry-run] ; chaque passage reprend où le précédent s'est arrêté")

    def add_arguments(self, parser):
        parser.add_argument("url", help="adresse de l'autre instance (ex. https://tilios.example.org)")
        parser.add_argument("--source", required=True,
                            help="source qui reçoit ses lieux (à enregistrer d'abord : tilios sources add)")
        parser.add_argument("--since", type=int, help="curseur de départ (par défaut : où le dernier passage "
                                                      "depuis cette adresse s'est arrêté ; 0 : tout)")
        parser.add_argument("--region", default="", help="seulement les lieux de cette région (code INSEE)")
        parser.add_argument("--departement", default="", help="seulement les lieux de ce département")
        parser.add_argument("--commune", default="", help="seulement les lieux de cette commune")
        parser.add_argument("--kind", action="append", default=[], help="type de lieu (répétable)")
        parser.add_argument("--known-on", type=datetime.date.fromisoformat, metavar="AAAA-MM-JJ",
                            help="ce que dit l'autre instance est connu depuis ce jour (défaut : aujourd'hui)")
        parser.add_argument("--dry-run", action="store_true", help="montre ce qui changerait, sans rien écrire")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")

    def handle(self, url, source, since, region, departement, commune, kind, known_on, dry_run, no_progress,
               **options):
        scope = {"region": region, "departement": departement, "commune": commune, "kind": kind}
        try:
            summary = sync.follow(url, source, since=since, scope=scope, dry_run=dry_run, known_on=known_on,
                                  progress=None if no_progress else progress.bar)
        except FileError as exc:
            raise CommandError(f"synchronisation refusée, base inchangée : {exc}") from exc
        mapping = summary.run.mapping
        for error in summary.errors:
            self.stderr.write(f"lieu {error['id']} ({error['line']}e du fil), champ {error['field']} : {error['reason']}"
                              + (f" ({error['value']})" if error["value"] else ""))
        prefix = "[essai, rien n'est écrit] " if dry_run else ""
        self.stdout.write(
            f"{prefix}{summary.rows} lieux modifiés depuis le curseur {mapping['since']} : {summary.created} créés, "
            f"{summary.updated} mis à jour, {summary.unchanged} inchangés, {summary.rejected} rejetés ; "
            f"{summary.matched} rapprochés d'un lieu connu, {summary.review_items} à examiner")
        if summary.missing:
            self.stdout.write(f"{prefix}{summary.missing} lieux fermés, fusionnés ou retirés là-bas : peut-être "
                              "fermés, à revoir (rien n'est fermé ici sans relecture)")
        if not dry_run:
            self.stdout.write(f"curseur : {mapping['cursor']} (le prochain passage reprend là)")
