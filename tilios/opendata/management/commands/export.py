import sys

from django.core.management.base import BaseCommand, CommandError

from tilios.opendata import datapackage, mednum
from tilios.opendata.exports import WRITERS, ShareAlikeConflict
from tilios.places import queries


class Command(BaseCommand):
    help = ("Exporte les lieux en CSV, GeoJSON, paquet de données Frictionless (datapackage : un dossier) ou au "
            "schéma des lieux de médiation numérique (mednum : un CSV, un JSON si OUT finit par .json, ou un zip qui "
            "porte aussi les licences), "
            "avec la licence, l'attribution et les enregistrements sources de chaque lieu")

    def add_arguments(self, parser):
        parser.add_argument("out", help="fichier de sortie (- pour la sortie standard) ; dossier pour datapackage")
        parser.add_argument("--format", choices=sorted([*WRITERS, "datapackage", "mednum"]), default="csv")
        parser.add_argument("--kind", action="append", default=[], help="type de lieu (répétable)")
        parser.add_argument("-q", "--query", default="", help="recherche par nom ou ville")

    def handle(self, out, format, kind, query, **options):
        try:
            places = queries.search(query, kind)
        except queries.QueryError as exc:
            raise CommandError(str(exc)) from exc
        try:
            if format == "datapackage":
                self._datapackage(places, out)
            elif format == "mednum":
                self._mednum(places, out)
            elif out == "-":
                WRITERS[format](places, sys.stdout)
            else:
                with open(out, "w", encoding="utf-8", newline="") as f:
                    count = WRITERS[format](places, f)
                self.stderr.write(f"{count} lieux exportés dans {out}")
        except ShareAlikeConflict as exc:
            raise CommandError(str(exc)) from exc

    def _datapackage(self, places, out):
        if out == "-":
            raise CommandError("datapackage : un dossier de sortie est attendu, pas la sortie standard")
        try:
            descriptor = datapackage.write(places, out)
        except (FileExistsError, NotADirectoryError) as exc:
            raise CommandError(f"{out} : ce n'est pas un dossier ({exc.strerror})") from exc
        licences = ", ".join(lic["name"] for lic in descriptor["licenses"])
        whole = " (partage à l'identique : l'ensemble est sous cette licence)" if descriptor["share_alike"] else ""
        self.stderr.write(f"paquet de données écrit dans {out}/datapackage.json — licence {licences}{whole}")

    def _mednum(self, places, out):
        _sources, whole = mednum.licensing(places)  # two share-alike licences: refused before writing
        if out.endswith(".zip"):
            with open(out, "wb") as f:
                descriptor = mednum.write_zip(places, f)
            licences = ", ".join(lic["name"] for lic in descriptor["licenses"])
            self.stderr.write(f"paquet (CSV, schéma, licences) au schéma des lieux de médiation numérique écrit "
                              f"dans {out} — licence {licences}"
                              f"{' (partage à l’identique : l’ensemble est sous cette licence)' if whole else ''}")
            return
        write = mednum.write_json if out.endswith(".json") else mednum.write_csv
        if out == "-":
            written = write(places, sys.stdout)
        else:
            with open(out, "w", encoding="utf-8", newline="") as f:
                written = write(places, f)
        whole_note = (f" ; contient des données sous {whole['title']} (partage à l'identique) : l'ensemble est "
                      f"sous {whole['title']}" if whole else "")
        self.stderr.write(f"{written.count} lieux exportés dans {out} au schéma des lieux de médiation numérique "
                          f"{mednum.SCHEMA['version']} ; écartés : {written.summary()}{whole_note}")
