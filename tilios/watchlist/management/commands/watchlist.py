from django.core.management.base import BaseCommand, CommandError

from tilios.watchlist import services
from tilios.watchlist.models import Preferences


class Command(BaseCommand):
    help = ("Les résumés des listes de suivi : tilios watchlist digest --frequency daily|weekly --site-url URL "
            "(à lancer chaque jour par cron ; chaque personne reçoit le sien quand il est dû)")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        digest = sub.add_parser("digest", help="envoyer les résumés dus")
        digest.add_argument("--frequency", choices=["daily", "weekly"], required=True)
        digest.add_argument("--site-url", required=True, help="adresse publique du site, pour les liens")

    def handle(self, action, frequency, site_url, **options):
        if not site_url.startswith(("http://", "https://")):
            raise CommandError("--site-url : une adresse http(s) est attendue")
        sent = mailed = 0
        for prefs in services.due(Preferences.Digest(frequency)):
            count = services.send_digest(prefs, site_url.rstrip("/"))
            mailed += count
            sent += bool(count)
        self.stdout.write(f"{sent} résumé(s) envoyé(s), {mailed} modification(s) en tout")
