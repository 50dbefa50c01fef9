from django.core.management.base import BaseCommand
from django.db import transaction

from tilios.census import facts
from tilios.places.services import relocate_all


class Command(BaseCommand):
    help = ("Recalcule la commune, l'EPCI, le département et la région de chaque lieu (après une mise à jour "
            "du référentiel ou des règles de localisation), puis les faits du recensement")

    def handle(self, **options):
        with transaction.atomic():
            changed = relocate_all()
            replayed = facts.rebuild()
        if not changed:
            self.stdout.write("Aucun lieu ne change de territoire.")
        for check, n in sorted(changed.items()):
            self.stdout.write(f"{n} lieu(x) désormais « {check} »")
        self.stdout.write(f"{replayed} révisions rejouées dans les faits du recensement.")
