"""`tilios token USERNAME…`: issue API tokens from the command line (for scripts and operators)."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tilios.accounts.models import Role
from tilios.accounts.services import issue_token


class Command(BaseCommand):
    help = ("Crée un jeton d'API pour un ou plusieurs comptes et l'affiche (une seule fois). "
            "Avec --create, crée les comptes manquants (sans mot de passe) ; --role fixe leur rôle.")

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="USERNAME")
        parser.add_argument("--role", choices=[r for r in Role.values if r != Role.READER],
                            help="donne ce rôle au compte (action d'exploitant, hors journal de modération)")
        parser.add_argument("--create", action="store_true", help="crée le compte s'il n'existe pas")
        parser.add_argument("--name", default="CLI", help="nom du jeton (défaut : CLI)")

    def handle(self, usernames, role, create, name, **options):
        User = get_user_model()
        lines = []
        with transaction.atomic():
            for username in usernames:
                user = User.objects.filter(username=username).first()
                if user is None:
                    if not create:
                        raise CommandError(f"compte inconnu : {username} (ajoutez --create pour le créer)")
                    user = User.objects.create_user(username)
                if role:
                    user.profile.role = role
                    user.profile.save(update_fields=["role"])
                try:
                    token = issue_token(user, name)
                except Exception as exc:
                    raise CommandError(f"{username} : {exc}") from exc
                lines.append((username, token))
        if len(lines) == 1:
            self.stdout.write(lines[0][1])
        else:
            for username, token in lines:
                self.stdout.write(f"{username}\t{token}")
