import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tilios.activity import evaluation, periods, schemes
from tilios.activity.models import WindowSnapshot
from tilios.policy.models import Programme


class Command(BaseCommand):
    help = ("Évalue l’activité des lieux d’un programme, ou de tous les lieux publiés, à une date : "
            "tilios evaluate [--programme SLUG | --region CODE | --departement CODE] [--on AAAA-MM-JJ] "
            "[--format table|csv|json] "
            "[--scheme CODE [--scheme-version N]] [--rebuild-snapshots]")

    def add_arguments(self, parser):
        parser.add_argument("--programme", help="slug du programme (sans : tous les lieux publiés)")
        parser.add_argument("--on", help="date de l’évaluation (défaut : aujourd’hui)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument("--region", help="tous les lieux d’une région (code INSEE)")
        parser.add_argument("--departement", help="tous les lieux d’un département (code INSEE)")
        parser.add_argument("--scheme", help="code du barème (défaut : moriset-2011, dernière version)")
        parser.add_argument("--scheme-version", type=int)
        parser.add_argument("--rebuild-snapshots", action="store_true",
                            help="oublier les agrégats mensuels (après des rapports écrits hors de Tilios) ; "
                                 "ils sont recalculés à la prochaine évaluation de tous les lieux")

    def handle(self, programme, on, format, scheme, scheme_version, rebuild_snapshots, region, departement,
               **options):
        found = None
        if programme:
            found = Programme.objects.filter(slug=programme).first()
            if found is None:
                raise CommandError(f"programme inconnu : {programme}")
        elif format == "csv":
            raise CommandError("--format csv donne les lieux d’un programme : ajoutez --programme SLUG")
        if rebuild_snapshots:
            deleted = WindowSnapshot.objects.count()
            WindowSnapshot.objects.all().delete()
            self.stderr.write(f"{deleted} instantané(s) oublié(s)")
        try:
            on, scheme = periods.parse_date(on), schemes.current_scheme(scheme, scheme_version)
            result = (evaluation.evaluate_programme(found, on, scheme) if found
                      else evaluation.evaluate_places(on, scheme, evaluation.territory_of(region, departement)))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages))
        if format == "json":
            self.stdout.write(json.dumps(evaluation.jsonable(result), ensure_ascii=False, indent=1))
        elif format == "csv":
            self.stdout.write(evaluation.evaluation_csv(result), ending="")
        else:
            self.stdout.write(evaluation.evaluation_text(result))
