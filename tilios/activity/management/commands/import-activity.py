from django.core.management.base import BaseCommand

from ._importing import add_import_arguments, run_import


class Command(BaseCommand):
    help = "Importe des rapports d’activité (CSV d’enquête) : tout ou rien, idempotent. Voir tilios activity import."

    def add_arguments(self, parser):
        add_import_arguments(parser)

    def handle(self, **options):
        run_import(self, **options)
