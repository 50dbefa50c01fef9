"""`tilios sources`: the sources with their licence, their records and their priority; `--priority SLUG N`
changes which source wins when sources disagree (an operator's action, like `tilios token --role`)."""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from tilios.places.presenters import source_summary
from tilios.sources import provenance
from tilios.sources.models import Source


class Command(BaseCommand):
    help = ("Liste les sources (licence, enregistrements, priorité) : tilios sources [--format table|json] ; "
            "change la priorité d'une source : tilios sources --priority SLUG N (la plus grande l'emporte quand "
            "les sources divergent ; une modification humaine l'emporte toujours)")

    def add_arguments(self, parser):
        parser.add_argument("--priority", nargs=2, metavar=("SLUG", "N"),
                            help=f"donne la priorité N (0 à {provenance.MAX_PRIORITY}) à la source SLUG ; "
                                 "elle s'applique à partir du prochain import de chaque enregistrement")
        parser.add_argument("--format", choices=["table", "json"], default="table", help="table ou json")

    def handle(self, priority=None, format="table", **options):
        if priority:
            return self.set_priority(*priority)
        sources = list(Source.objects.annotate(n_records=Count("records")).order_by("-priority", "slug"))
        if format == "json":
            rows = [{**source_summary(s), "records": s.n_records} for s in sources]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
            return
        if not sources:
            self.stdout.write("Aucune source.")
            return
        width = max(len(s.slug) for s in sources)
        self.stdout.write(f"{'source':{width}}  priorité  enregistrements  licence")
        for s in sources:
            self.stdout.write(f"{s.slug:{width}}  {s.priority:>8}  {s.n_records:>15}  {s.licence} — {s.name}")

    def set_priority(self, slug, value):
        source = Source.objects.filter(slug=slug).first()
        if source is None:
            known = ", ".join(Source.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"source inconnue : {slug} (sources : {known})")
        try:
            number = int(value)
        except ValueError:
            raise CommandError(f"priorité : un entier entre 0 et {provenance.MAX_PRIORITY}, pas « {value} »") from None
        before = source.priority
        try:
            provenance.set_priority(source, number)
        except ValidationError as exc:
            raise CommandError("priorité : " + " ".join(exc.messages)) from exc
        self.stdout.write(f"Priorité de {slug} : {before} → {number}. Elle s'applique à partir du prochain import "
                          "de chaque enregistrement ; les valeurs affichées ne sont pas recalculées.")
