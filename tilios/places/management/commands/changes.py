import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from tilios.places import feed
from tilios.places.queries import QueryError
from tilios.revisions import changes


class Command(BaseCommand):
    help = ("Le fil des modifications publiées, à reprendre où on l'a laissé : tilios changes [--since CURSEUR] "
            "[--departement CODE] [--region CODE] [--kind K] [--type place|page|promise…] (comme GET /api/changes)")

    def add_arguments(self, parser):
        parser.add_argument("--since", type=int, default=0, help="curseur rendu par la lecture précédente")
        parser.add_argument("--limit", type=int, default=100)
        parser.add_argument("--region", default="")
        parser.add_argument("--departement", default="")
        parser.add_argument("--commune", default="")
        parser.add_argument("--kind", action="append", default=[], help="type de lieu (répétable)")
        parser.add_argument("--type", default="", help="type de contenu : place, page, announcement, promise…")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, since, limit, region, departement, commune, kind, type, format, **options):
        try:
            scope = feed.scope(region, departement, commune, kind) or Q()
        except QueryError as exc:
            raise CommandError(str(exc)) from exc
        if type:
            scope &= changes.of_type(type)
        page = changes.since(since, limit, scope)
        if format == "json":
            self.stdout.write(json.dumps({"changes": [c.as_dict() for c in page.changes], "cursor": page.cursor},
                                         ensure_ascii=False, indent=1))
            return
        for c in page.changes:
            fields = ", ".join(c.fields)
            self.stdout.write(f"{c.sequence:>7}  {c.at:%Y-%m-%d %H:%M}  {c.type}:{c.key}  {c.title}  "
                              f"[{c.kind}{', fermeture' if c.closed else ''}] {c.author}  {c.summary}  ({fields})")
        self.stdout.write(f"curseur : {page.cursor} (suite : tilios changes --since {page.cursor})")
