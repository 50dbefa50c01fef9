import json

from django.core.management.base import BaseCommand

from tilios import csvsafe
from tilios.policy import services


class Command(BaseCommand):
    help = "Liste les promesses et leur statut : tilios promises [--actor NOM] [--status STATUT]"

    def add_arguments(self, parser):
        parser.add_argument("--actor", help="acteur (nom, partiel)")
        parser.add_argument("--status", choices=sorted(services.STATUS_LABELS), help="statut")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, actor, status, format, **options):
        rows = []
        for promise, verdict in services.promises(actor, status):
            latest = verdict.latest
            rows.append({"id": promise.pk, "announced_on": promise.announcement.made_on.isoformat(),
                         "metric": promise.metric, "target": promise.target_value, "unit": promise.unit,
                         "deadline": promise.deadline.isoformat() if promise.deadline else "",
                         "status": verdict.status, "status_label": verdict.label,
                         "latest_value": latest.value if latest else "",
                         "latest_on": latest.measured_on.isoformat() if latest else "",
                         "source": promise.announcement.source_url})
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
        elif format == "csv":
            writer = csvsafe.dict_writer(self.stdout, list(rows[0]) if rows else ["id"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for r in rows:
                self.stdout.write(f"{r['deadline'] or '—':10}  {r['status_label']:22}  {r['metric']} : "
                                  f"{r['latest_value'] or '?'} / {r['target']:g} {r['unit']}")
