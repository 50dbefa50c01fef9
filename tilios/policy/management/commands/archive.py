import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from tilios.policy import writing
from tilios.revisions import services as revisions
from tilios.revisions.models import Revision


class Command(BaseCommand):
    help = ("Écrit dans l'archive des politiques publiques, comme l'API : "
            "tilios archive add {actors,programmes,promises,outcomes,replies} JSON --user COMPTE ; "
            "tilios archive edit TYPE CLÉ JSON --user COMPTE --base-revision ID (CLÉ : slug d'un programme, sinon id)")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "edit"])
        parser.add_argument("type", choices=sorted(writing.TYPES))
        parser.add_argument("values", nargs="+", metavar="[CLÉ] JSON")
        parser.add_argument("--user", required=True, help="le compte qui signe la révision")
        parser.add_argument("--summary", default="", help="résumé de la modification")
        parser.add_argument("--base-revision", type=int, help="edit : la révision lue avant de modifier")

    def handle(self, *, action, type, values, user, summary, base_revision=None, **options):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"--user : compte inconnu « {user} »")
        if len(values) != (1 if action == "add" else 2):
            raise CommandError("add TYPE JSON, ou edit TYPE CLÉ JSON")
        try:
            data = json.loads(values[-1])
        except ValueError as exc:
            raise CommandError(f"JSON illisible : {exc}") from None
        if not isinstance(data, dict):
            raise CommandError("un objet JSON est attendu ({\"champ\": valeur, …})")
        try:
            if action == "add":
                record, revision = writing.create(type, data, account, summary)
            else:
                record, revision = writing.edit(type, values[0], data, account, summary, base_revision)
        except ValidationError as exc:
            raise CommandError("refusé, rien n'est écrit : " + " ; ".join(
                f"{field} : {' '.join(messages)}" for field, messages in exc.message_dict.items())) from None
        except (PermissionDenied, revisions.NotAllowed) as exc:
            raise CommandError(f"refusé : {exc}") from None
        except revisions.EditConflict as exc:
            raise CommandError(f"conflit : {exc}") from None
        except revisions.NoChange:
            raise CommandError("aucune modification") from None
        state = "publié" if revision.status == Revision.Status.ACCEPTED else "en attente de relecture"
        self.stdout.write(f"{type} {record.pk} : révision {revision.pk} {state}")
