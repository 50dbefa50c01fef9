import time

from django.core.management.base import BaseCommand, CommandError

from tilios.instance import dumps


class Command(BaseCommand):
    help = ("Restaure une instance écrite par « tilios dump », dans une base migrée (« tilios migrate ») et vide ; "
            "tout ou rien. Les comptes restaurés n'ont pas de mot de passe : « mot de passe oublié » en donne un.")

    def add_arguments(self, parser):
        parser.add_argument("dump", help="fichier écrit par tilios dump (.jsonl ou .jsonl.gz)")
        parser.add_argument("--replace", action="store_true",
                            help="remplacer tout le contenu d'une base qui n'est pas vide")

    def handle(self, dump, replace, **options):
        started = time.monotonic()
        try:
            counts = dumps.restore(dump, replace=replace)
        except dumps.DumpError as exc:
            raise CommandError(f"{exc} Rien n'a été modifié.") from exc
        self.stderr.write(f"{sum(counts.values())} lignes de {len(counts)} tables restaurées depuis {dump} "
                          f"({time.monotonic() - started:.1f} s)")
