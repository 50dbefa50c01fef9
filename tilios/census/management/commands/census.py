import datetime
import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tilios import csvsafe
from tilios.census import definitions, facts, services


def _within(values):
    within = {}
    for value in values:
        level, _sep, code = value.partition("=")
        if not code:
            raise CommandError("--within : NIVEAU=CODE attendu, par exemple departement=42")
        within[level] = code
    return within


class Command(BaseCommand):
    help = ("Compte les lieux valides le jour D tels que connus le jour K, selon une définition : "
            "tilios census [--definition ID] [--valid-on D] [--known-on K] [--by NIVEAU]")

    def add_arguments(self, parser):
        date = datetime.date.fromisoformat
        parser.add_argument("--definition", default=None, help="slug ou slug@version (défaut : cget-2018)")
        parser.add_argument("--valid-on", type=date, metavar="AAAA-MM-JJ", help="date de validité (défaut : aujourd'hui)")
        parser.add_argument("--known-on", type=date, metavar="AAAA-MM-JJ", help="date de connaissance (défaut : aujourd'hui)")
        parser.add_argument("--by", choices=sorted(services.LEVELS), help="ventilation")
        parser.add_argument("--within", action="append", default=[], metavar="NIVEAU=CODE",
                            help="restreint à un territoire (region, departement, epci, commune)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument("--explain", action="store_true", help="liste les lieux comptés et exclus (avec raisons)")
        parser.add_argument("--freeze", metavar="TITRE", help="enregistre un instantané de ce compte")
        parser.add_argument("--verify", type=int, metavar="ID", help="recalcule l'instantané ID")
        parser.add_argument("--definitions", action="store_true", help="liste les définitions")
        parser.add_argument("--publish", metavar="FICHIER.json",
                            help="publie une définition ou sa nouvelle version (slug, name, text, criteria, "
                                 "changelog) ; avec --user, un compte administrateur")
        parser.add_argument("--user", help="--publish : le compte qui publie")
        parser.add_argument("--rebuild-facts", action="store_true", help="reconstruit la table des faits")

    def handle(self, **o):
        out = self.stdout
        try:
            if o["rebuild_facts"]:
                out.write(f"{facts.rebuild()} faits reconstruits")
                return
            if o["publish"]:
                return self.publish(o["publish"], o["user"])
            if o["definitions"]:
                for d in services.CensusDefinition.objects.all():
                    out.write(f"{d.ref:28} {d.name}")
                return
            if o["verify"]:
                snapshot = services.Snapshot.objects.get(pk=o["verify"])
                check = services.verify(snapshot)
                verdict = "identique" if check["same_hash"] else "DIFFÉRENT"
                out.write(f"instantané {snapshot.pk} : {snapshot.total} lieux figés, {check['total']} recalculés — {verdict}")
                return
            definition = services.get_definition(o["definition"])
            within = _within(o["within"])
            if o["explain"]:
                result = services.explain(definition, o["valid_on"], o["known_on"], within)
                out.write(json.dumps(result, ensure_ascii=False, indent=1))
                return
            if o["freeze"]:
                snapshot = services.freeze(definition, o["valid_on"], o["known_on"], o["by"], within, title=o["freeze"])
                out.write(f"instantané {snapshot.pk} : {snapshot.total} lieux, empreinte {snapshot.content_hash}")
                return
            result = services.count(definition, o["valid_on"], o["known_on"], o["by"], within)
        except (services.CensusError, services.Snapshot.DoesNotExist, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.write(result, o["format"])

    def publish(self, path, username):
        account = get_user_model().objects.filter(username=username or "").first()
        if account is None:
            raise CommandError("--publish : --user COMPTE (un administrateur) est nécessaire")
        try:
            with open(path, encoding="utf-8") as stream:
                data = json.load(stream)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path} : {exc}") from None
        if not isinstance(data, dict):
            raise CommandError(f"{path} : un objet JSON est attendu")
        try:
            definition = definitions.publish(data, account)
        except ValidationError as exc:
            raise CommandError("refusé, rien n'est publié : " + " ; ".join(
                f"{field} : {' '.join(messages)}" for field, messages in exc.message_dict.items())) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"définition {definition.ref} publiée : {definition.name}")

    def write(self, result, fmt):
        if fmt == "json":
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=str))
            return
        if fmt == "csv":
            writer = csvsafe.writer(self.stdout, lineterminator="\n")
            writer.writerow(["definition", "valid_on", "known_on", result.by or "total", "label", "count", "possible"])
            for row in result.rows or [{"key": "", "label": "total", "count": result.total,
                                        "possible": result.possible}]:
                writer.writerow([result.definition.ref, result.valid_on, result.known_on, row["key"], row["label"],
                                 row["count"], row["possible"]])
            return
        self.stdout.write(_("%(name)s (%(ref)s) — lieux valides le %(d)s, connus le %(k)s : %(n)d certainement, "
                            "%(p)d de plus peut-être (date d'ouverture inconnue, attestés après le %(d)s)") % {
            "name": result.definition.name, "ref": result.definition.ref, "d": result.valid_on, "k": result.known_on,
            "n": result.total, "p": result.possible})
        if result.rows:
            self.stdout.write(f"  {'':>10}  {'':40}  {_('certains'):>9}  {_('possibles'):>9}")
        for row in result.rows:
            self.stdout.write(f"  {str(row['key']):>10}  {row['label'][:40]:40}  {row['count']:>9}  {row['possible']:>9}")
