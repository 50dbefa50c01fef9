from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prépare la base (migrations, données de démonstration au premier démarrage) et sert Tilios"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-demo", action="store_true", help="ne charge pas les données de démonstration")

    def handle(self, host, port, threads, no_demo, **options):
        from waitress import serve

        from tilios.sources.demo import ensure_demo_data
        from tilios.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo:
            ensure_demo_data(stdout=self.stdout, progress=True)
        self.stdout.write(f"Tilios sert sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
        serve(application, host=host, port=port, threads=threads, ident="tilios")
