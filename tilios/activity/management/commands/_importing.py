"""Shared by `tilios import-activity PATH` and `tilios activity import PATH`."""
import sys

from django.core.management.base import CommandError

from tilios.activity import importing
from tilios.activity.models import ActivityReport


def add_import_arguments(parser):
    parser.add_argument("path", help="fichier CSV (UTF-8, séparateur , ou ;) ; « - » pour l’entrée standard")
    parser.add_argument("--kind", choices=[ActivityReport.ReportedBy.SURVEY, ActivityReport.ReportedBy.IMPORT],
                        default=ActivityReport.ReportedBy.SURVEY, help="origine des chiffres (défaut : survey)")
    parser.add_argument("--source", default="", help="libellé de la source (enquête, date…)")


def run_import(command, path, kind, source, **options):
    if path == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except OSError as exc:
            raise CommandError(f"lecture impossible : {exc}")
        except UnicodeDecodeError:
            raise CommandError("le fichier n’est pas en UTF-8")
    result = importing.import_csv(text, kind=kind, source=source or path)
    if not result.ok:
        for line, field, message in result.errors[:200]:
            command.stderr.write(f"ligne {line}, {field} : {message}")
        if len(result.errors) > 200:
            command.stderr.write(f"… et {len(result.errors) - 200} autres erreurs")
        raise CommandError(f"{len(result.errors)} erreur(s) sur {result.lines} ligne(s) : rien n’a été importé")
    command.stdout.write(f"{result.lines} ligne(s) : {result.created} créée(s), {result.updated} mise(s) à jour, "
                         f"{result.unchanged} inchangée(s)")
