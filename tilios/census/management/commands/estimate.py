import json

from django.core.management.base import BaseCommand, CommandError

from tilios.census import reproduce, services
from tilios.census.estimation import STRATA


def _figure(e):
    return f"{e['method']:10} estimation {e['estimate']:.0f}  IC 95 % [{e['lower']:.0f} ; {e['upper']:.0f}]"


class Command(BaseCommand):
    help = ("Estime le nombre de lieux, y compris ceux qu'aucune source ne liste, dans le périmètre que les "
            "sources ont en commun : --sources A,B[,C…]")

    def add_arguments(self, parser):
        parser.add_argument("--sources", required=True, help="identifiants des sources, séparés par des virgules")
        parser.add_argument("--definition", default="", help="ne considérer que les lieux comptés par cette définition")
        parser.add_argument("--valid-on", default="", metavar="AAAA-MM-JJ", help="lieux existant ce jour-là")
        parser.add_argument("--known-on", default="", metavar="AAAA-MM-JJ",
                            help="ce que les sources avaient publié ce jour-là")
        parser.add_argument("--within", action="append", default=[], metavar="NIVEAU=CODE",
                            help="dans un territoire, par exemple departement=29")
        parser.add_argument("--by", choices=sorted(STRATA), help="une estimation par territoire, et leur somme")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, sources, definition, valid_on, known_on, within, by, format, **options):
        try:
            query = reproduce.resolve_estimate(sources, definition, valid_on, known_on, ",".join(within), by)
            result = query.run()
        except services.CensusError as exc:
            raise CommandError(str(exc)) from exc
        if format == "json":
            self.stdout.write(json.dumps({**result, "reproduce": query.reproduce()}, ensure_ascii=False, indent=1))
            return
        self._scope(result)
        for e in result["estimates"]:
            self.stdout.write(_figure(e))
            for caveat in e["assumptions"]:
                self.stdout.write(f"    - {caveat}")
        for refused in result["refused"]:
            self.stdout.write(f"aucune estimation : {refused['reason']}")
        if result["sensitivity"]["if_all_duplicates"]:
            self.stdout.write(f"si les {result['sensitivity']['pending_pairs']} paires en relecture sont des doublons :")
            for e in result["sensitivity"]["if_all_duplicates"]["estimates"]:
                self.stdout.write("  " + _figure(e))
        if result["strata"]:
            self._strata(result["strata"])
        for warning in result["warnings"]:
            self.stderr.write(f"attention : {warning['message']}")

    def _scope(self, result):
        scope = result["scope"]
        deps = "tous" if scope["departements"] is None else ", ".join(scope["departements"]) or "aucun"
        self.stdout.write(f"périmètre commun : départements {deps} ; types {', '.join(scope['kinds']) or 'aucun'}")
        for slug, own in scope["sources"].items():
            own_deps = "national" if own["departements"] is None else ", ".join(own["departements"])
            self.stdout.write(f"  {slug} : {own['listed']} lieux ; {own_deps} ; {', '.join(own['kinds'])}")
        listed = ", ".join(f"{s} : {n}" for s, n in result["listed"].items())
        self.stdout.write(f"lieux observés dans le périmètre : {result['observed']} ({listed}), "
                          f"dont {result['overlap']} listés par plusieurs sources ; "
                          f"{result['set_aside']} hors périmètre")

    def _strata(self, strata):
        self.stdout.write(f"par {strata['by']} :")
        for row in strata["rows"]:
            figures = " · ".join(f"{e['method']} {e['estimate']:.0f} [{e['lower']:.0f} ; {e['upper']:.0f}]"
                                 for e in row["estimates"]) or "pas d'estimation"
            self.stdout.write(f"  {row['key']:4} {row['label']:28} observés {row['observed']:5}  {figures}")
        for e in strata["totals"]:
            self.stdout.write("  somme " + _figure(e) + f" sur {e['details']['strata']} strates")
