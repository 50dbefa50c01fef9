from django.core.management.base import BaseCommand

from tilios.territories.services import load_reference


class Command(BaseCommand):
    help = "Charge (ou recharge) le référentiel des territoires (COG 2026, centres, contours)"

    def handle(self, **options):
        counts = load_reference()
        self.stdout.write(", ".join(f"{n} {name}" for name, n in counts.items()))
