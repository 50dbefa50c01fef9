import datetime

from django.core.management.base import BaseCommand, CommandError

from tilios.sources.importers import FileError
from tilios.sources.services import READERS, run_import


class Command(BaseCommand):
    help = "Importe un fichier source : tilios import cget CHEMIN [--source SLUG] [--dry-run]"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(READERS), help="format du fichier")
        parser.add_argument("path", help="fichier à importer")
        parser.add_argument("--source", help="identifiant de la source (par défaut : celle du format)")
        parser.add_argument("--dry-run", action="store_true", help="montre ce qui changerait, sans rien écrire")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")
        parser.add_argument("--known-on", type=datetime.date.fromisoformat, metavar="AAAA-MM-JJ",
                            help="date de publication de la source : ce qu'elle dit est connu depuis ce jour")

    def handle(self, kind, path, source=None, dry_run=False, no_progress=False, known_on=None, **options):
        try:
            summary = run_import(kind, path, source=source, progress=not no_progress, dry_run=dry_run,
                                 known_on=known_on)
        except FileError as exc:
            raise CommandError(f"import refusé, base inchangée : {exc}") from exc
        for error in summary.errors:
            self.stderr.write(f"ligne {error['line']}, champ {error['field']} : {error['reason']}"
                              + (f" ({error['value']})" if error["value"] else ""))
        prefix = "[essai, rien n'est écrit] " if dry_run else ""
        self.stdout.write(
            f"{prefix}{summary.rows} lignes : {summary.created} créées, {summary.updated} mises à jour, "
            f"{summary.unchanged} inchangées, {summary.rejected} rejetées")
