import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tilios.activity import services
from tilios.policy.models import Programme


class Command(BaseCommand):
    help = ("Évalue l’activité des lieux d’un programme à une date : tilios evaluate --programme SLUG "
            "[--on AAAA-MM-JJ] [--format table|csv|json] [--scheme CODE [--scheme-version N]]")

    def add_arguments(self, parser):
        parser.add_argument("--programme", required=True, help="slug du programme")
        parser.add_argument("--on", help="date de l’évaluation (défaut : aujourd’hui)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument("--scheme", help="code du barème (défaut : moriset-2011, dernière version)")
        parser.add_argument("--scheme-version", type=int)

    def handle(self, programme, on, format, scheme, scheme_version, **options):
        found = Programme.objects.filter(slug=programme).first()
        if found is None:
            raise CommandError(f"programme inconnu : {programme}")
        try:
            result = services.evaluate_programme(found, services.parse_date(on),
                                                 services.current_scheme(scheme, scheme_version))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages))
        if format == "json":
            self.stdout.write(json.dumps(services.jsonable(result), ensure_ascii=False, indent=1))
        elif format == "csv":
            self.stdout.write(services.evaluation_csv(result), ending="")
        else:
            self.stdout.write(services.evaluation_text(result))
