"""`tilios import`: one command for every file Tilios reads. It lives in `instance`, above the apps it
dispatches to — places from a source file go to `sources`, a wiki's pages to `pages`."""
import datetime

from django.core.management.base import BaseCommand, CommandError

from tilios import journal, progress
from tilios.pages import mediawiki
from tilios.places.models import Place
from tilios.sources.importers import FileError
from tilios.sources.services import READERS, line_label, run_import

WIKI = "mediawiki"  # a wiki's pages, not places


class Command(BaseCommand):
    help = ("Importe un fichier source : tilios import {cget,mednum,geojson,fablabs-io,osm,csv} CHEMIN "
            "[--source SLUG] [--mapping FICHIER] [--known-on AAAA-MM-JJ] [--review-all] [--dry-run] ; "
            "un wiki : tilios import mediawiki EXPORT.xml[.bz2] [--dry-run]")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted([*READERS, WIKI]), help="format du fichier")
        parser.add_argument("path", help="fichier à importer")
        parser.add_argument("--source", help="identifiant de la source (par défaut : celle du format)")
        parser.add_argument("--mapping", help="format csv : fichier JSON ou TOML qui nomme la colonne de chaque champ")
        parser.add_argument("--dry-run", action="store_true", help="montre ce qui changerait, sans rien écrire")
        parser.add_argument("--review-all", action="store_true",
                            help="aucune fusion automatique : chaque rapprochement passe en relecture")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")
        parser.add_argument("--known-on", type=datetime.date.fromisoformat, metavar="AAAA-MM-JJ",
                            help="date de publication de la source : ce qu'elle dit est connu depuis ce jour")

    def handle(self, kind, path, source=None, mapping=None, dry_run=False, no_progress=False, known_on=None,
               review_all=False, **options):
        if kind == WIKI:
            if source or mapping or known_on or review_all:
                raise CommandError("import mediawiki : seule l'option --dry-run s'applique")
            return self.wiki(path, dry_run)
        try:
            summary = run_import(kind, path, source=source, progress=None if no_progress else progress.bar,
                                 dry_run=dry_run,
                                 known_on=known_on, mapping=mapping, auto_merge=not review_all)
        except FileError as exc:
            raise CommandError(f"import refusé, base inchangée : {exc}") from exc
        label = line_label(kind)
        for error in summary.errors:
            self.stderr.write(f"{label} {error['line']}, champ {error['field']} : {error['reason']}"
                              + (f" ({error['value']})" if error["value"] else ""))
        prefix = "[essai, rien n'est écrit] " if dry_run else ""
        self.stdout.write(
            f"{prefix}{summary.rows} lignes : {summary.created} créées, {summary.updated} mises à jour, "
            f"{summary.unchanged} inchangées, {summary.rejected} rejetées ; {summary.changed_fields} champs modifiés ; "
            f"{summary.matched} rapprochées d'un lieu "
            f"connu, {summary.review_items} à examiner (doublons possibles, conflits avec des modifications)")
        if summary.missing:
            self.stdout.write(f"{prefix}{summary.missing} enregistrements de la source absents de ce fichier : "
                              "lieux peut-être fermés, à revoir (rien n'est supprimé)")
        unparsed = 0 if dry_run else (Place.objects.filter(records__last_run=summary.run)
                                      .exclude(opening_hours_unparsed="").distinct().count())
        if unparsed:
            self.stdout.write(f"{unparsed} lieux ont des horaires non reconnus, gardés tels quels : à réécrire "
                              "en syntaxe OSM (tilios review hours)")

    def wiki(self, path, dry_run):
        try:
            summary = mediawiki.import_dump(path, dry_run=dry_run)
        except (mediawiki.DumpError, journal.WriteInProgress) as exc:
            raise CommandError(f"import refusé, base inchangée : {exc}") from exc
        prefix = "[essai, rien n'est écrit] " if dry_run else ""
        for title, reason in summary.skipped:
            self.stderr.write(f"non importé : {title} — {reason}")
        for title, notes in summary.conversions.items():
            for note, count in sorted(notes.items()):
                self.stdout.write(f"à revoir : {title} — {note}" + (f" (×{count})" if count > 1 else ""))
        self.stdout.write(
            f"{prefix}wiki {summary.wiki} : {summary.pages_created} pages créées, {summary.pages_updated} mises à jour, "
            f"{summary.pages_unchanged} inchangées ; {summary.revisions_added} révisions ajoutées, "
            f"{summary.revisions_known} déjà importées ; {summary.threads_created} discussions ouvertes, "
            f"{summary.messages_added} messages ; {summary.redirects} redirections ; "
            f"{summary.categories} catégories créées ; {len(summary.skipped)} éléments non importés ; "
            f"{sum(summary.notes.values())} conversions à revoir (modèles, tableaux, fichiers gardés visibles)")
