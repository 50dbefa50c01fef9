import logging
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tilios import journal, progress
from tilios.web import production, storage

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Prépare la base (migrations, données de démonstration au premier démarrage) et sert Tilios"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=None,
                            help="fils par processus (8 sans --workers, 4 avec)")
        parser.add_argument("--workers", type=int, default=0,
                            help="sert avec gunicorn et N processus (production, voir le README)")
        parser.add_argument("--timeout", type=int, default=30,
                            help="avec --workers : secondes après lesquelles une requête est abandonnée")
        parser.add_argument("--no-demo", action="store_true", help="ne charge pas les données de démonstration")

    def handle(self, host, port, threads, workers, timeout, no_demo, **options):
        from tilios.instance.demo import ensure_demo_data

        if workers < 0 or (threads is not None and threads < 1) or timeout < 1:
            raise CommandError("--workers : 0 ou plus ; --threads et --timeout : 1 ou plus")

        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo:
            ensure_demo_data(stdout=self.stdout, progress=progress.bar)
        storage.collect()
        from tilios.wsgi import application  # after collecting: WhiteNoise lists the static files it serves once
        if workers:
            production.serve(application, host, port, workers, threads or 4, timeout,
                             on_ready=lambda address: self._listening(host, address[1]),
                             in_worker=_watch_interrupted_imports)
            return
        from waitress import create_server

        _watch_interrupted_imports()
        server = create_server(application, host=host, port=port, threads=threads or 8, ident="tilios")
        self._listening(host, getattr(server, "effective_port", port))
        server.run()

    def _listening(self, host, port):
        # Said once the socket listens (whoever starts the server may wait for this line), with the port really
        # bound: --port 0 picks a free one (a host with several addresses keeps the port asked for).
        self.stdout.write(f"Tilios sert sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
        self.stdout.flush()


def _watch_interrupted_imports(every=30):
    """An import killed while the site runs is undone within `every` seconds, not at the next command."""
    def watch():
        while True:
            try:
                journal.recover()
            except Exception:  # a busy or failing database: the next round tries again
                log.exception("undoing an interrupted import failed")
            finally:
                connection.close()
            time.sleep(every)

    threading.Thread(target=watch, name="tilios-journal", daemon=True).start()
