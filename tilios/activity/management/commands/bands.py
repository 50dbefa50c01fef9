import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tilios.activity import schemes, snapshots
from tilios.activity.models import BandScheme


class Command(BaseCommand):
    help = ("Barèmes d’évaluation : « tilios bands » les liste ; « tilios bands add FICHIER.json » en ajoute "
            "une version (code, label, source, statistic median|max, window_months, unknown_after_months, "
            "bands : [{code, label, no_activity | lt, lte, gt, gte}]).")

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["list", "add"], default="list")
        parser.add_argument("file", nargs="?", help="barème en JSON (pour add)")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, action, file, format, **options):
        if action == "add":
            if not file:
                raise CommandError("tilios bands add FICHIER.json")
            try:
                data = json.loads(Path(file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"{file} : {exc}") from None
            if not isinstance(data, dict):
                raise CommandError(f"{file} : un objet JSON est attendu")
            try:
                scheme = schemes.create_scheme(data)
            except ValidationError as exc:
                raise CommandError("\n".join(f"{field} : {' '.join(m)}" for field, m in exc.message_dict.items()))
            self.stdout.write(f"barème {scheme.code} v{scheme.version} enregistré")
            return
        listed = [snapshots.scheme_out(s) for s in BandScheme.objects.order_by("code", "-version")]
        if format == "json":
            self.stdout.write(json.dumps(listed, ensure_ascii=False, indent=1))
            return
        for s in listed:
            bands = " / ".join(b["label"] for b in s["bands"])
            self.stdout.write(f"{s['code']} v{s['version']}  {s['statistic']}, {s['window_months']} mois — "
                              f"{s['label']} : {bands}")
