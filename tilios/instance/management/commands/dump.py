import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tilios.instance import dumps


class Command(BaseCommand):
    help = ("Écrit toute l'instance (lieux et révisions, pages, discussions, archive des politiques, activité, "
            "sources et enregistrements bruts, comptes sans secrets) dans un fichier JSON Lines (.gz : compressé), "
            "restaurable sur SQLite comme sur PostgreSQL par « tilios restore »")

    def add_arguments(self, parser):
        parser.add_argument("out", help="fichier de sortie (se terminant par .gz pour le compresser)")

    def handle(self, out, **options):
        path = Path(out)
        if path.is_dir():
            raise CommandError(f"{out} est un dossier : donnez un nom de fichier, par exemple {path / 'tilios.jsonl.gz'}")
        partial = path.with_name(path.name + ".partiel")
        started = time.monotonic()
        try:
            counts = dumps.dump(partial, compress=path.suffix == ".gz")
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"{out} : {exc.strerror}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(path)  # a dump file is whole or absent
        self.stderr.write(f"{sum(counts.values())} lignes de {len(counts)} tables écrites dans {out} "
                          f"({path.stat().st_size / 1e6:.1f} Mo, {time.monotonic() - started:.1f} s)")
