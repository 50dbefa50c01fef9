"""`tilios sources`: the sources with their licence, their records and their priority.

`tilios sources add SLUG --name … --licence CODE …` registers a source, `tilios sources edit SLUG …` changes
one, `tilios sources licences` lists the licence codes; `--priority SLUG N` changes which source wins when
sources disagree. These are the operator's hand, like `tilios token --role`: on the site and the API only
administrators may do the same."""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from tilios.places.presenters import source_summary
from tilios.sources import provenance, registry
from tilios.sources.licences import LICENCES
from tilios.sources.models import Source

DESCRIBED = (("name", "nom affiché"), ("publisher", "éditeur"), ("url", "adresse de la source"),
             ("licence", "code de la licence (voir : tilios sources licences)"),
             ("attribution", "mention d'attribution à citer (par défaut : « éditeur — nom »)"),
             ("data_date", "date de publication des données, AAAA-MM-JJ"),
             ("priority", f"priorité 0 à {provenance.MAX_PRIORITY} (la plus grande l'emporte)"),
             ("description", "description"))


def _dest(name):
    return "new_priority" if name == "priority" else name  # `--priority SLUG N` holds `priority`


def field_errors(exc):
    return " ; ".join(f"{name} : {' '.join(messages)}" for name, messages in exc.message_dict.items())


class Command(BaseCommand):
    help = ("Liste les sources (licence, enregistrements, priorité) : tilios sources [--format table|json] ; "
            "enregistre une source : tilios sources add SLUG --name NOM --licence CODE [--publisher …] [--url …] "
            "[--attribution …] [--data-date AAAA-MM-JJ] [--priority N] ; la modifie : tilios sources edit SLUG … ; "
            "licences connues : tilios sources licences ; change la priorité : tilios sources --priority SLUG N")

    def add_arguments(self, parser):
        parser.add_argument("--priority", nargs=2, metavar=("SLUG", "N"),
                            help=f"donne la priorité N (0 à {provenance.MAX_PRIORITY}) à la source SLUG ; "
                                 "elle s'applique à partir du prochain import de chaque enregistrement")
        parser.add_argument("--format", choices=["table", "json"], default="table", help="table ou json")
        actions = parser.add_subparsers(dest="action", required=False)
        for action, text in (("add", "enregistre une source"), ("edit", "modifie une source")):
            sub = actions.add_parser(action, help=text, description=text, called_from_command_line=True)
            sub.add_argument("slug", help="identifiant (minuscules, chiffres, tirets)")
            for name, label in DESCRIBED:
                sub.add_argument("--" + name.replace("_", "-"), dest=_dest(name), help=label)
        actions.add_parser("licences", help="les licences connues et leur code", called_from_command_line=True)

    def handle(self, action=None, priority=None, format="table", **options):
        if action == "licences":
            for licence in LICENCES.values():
                flags = ", partage à l'identique" if licence.share_alike else ""
                flags += "" if licence.open else ", pas une licence ouverte"
                self.stdout.write(f"{licence.code:16} {licence.name}{flags}  {licence.url}")
            return
        if action in ("add", "edit"):
            return self.describe(action, options)
        if priority:
            return self.set_priority(*priority)
        sources = list(Source.objects.annotate(n_records=Count("records")).order_by("-priority", "slug"))
        if format == "json":
            rows = [{**source_summary(s), "records": s.n_records} for s in sources]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
            return
        if not sources:
            self.stdout.write("Aucune source.")
            return
        width = max(len(s.slug) for s in sources)
        self.stdout.write(f"{'source':{width}}  priorité  enregistrements  licence")
        for s in sources:
            self.stdout.write(f"{s.slug:{width}}  {s.priority:>8}  {s.n_records:>15}  {s.licence} — {s.name}")

    def describe(self, action, options):
        data = {name: options[_dest(name)] for name, _label in DESCRIBED if options.get(_dest(name)) is not None}
        try:
            if action == "add":
                source = registry.register({"slug": options["slug"], **data})
            else:
                source = Source.objects.filter(slug=options["slug"]).first()
                if source is None:
                    raise CommandError(f"source inconnue : {options['slug']}")
                source = registry.update(source, data)
        except ValidationError as exc:
            raise CommandError(f"source refusée, rien n'est enregistré : {field_errors(exc)}") from exc
        verb = "enregistrée" if action == "add" else "modifiée"
        share = " (partage à l'identique)" if source.share_alike else ""
        self.stdout.write(f"Source {source.slug} {verb} : {source.name} — {source.licence}{share}, "
                          f"priorité {source.priority} ; attribution « {source.attribution} »")

    def set_priority(self, slug, value):
        source = Source.objects.filter(slug=slug).first()
        if source is None:
            known = ", ".join(Source.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"source inconnue : {slug} (sources : {known})")
        try:
            number = int(value)
        except ValueError:
            raise CommandError(f"priorité : un entier entre 0 et {provenance.MAX_PRIORITY}, pas « {value} »") from None
        before = source.priority
        try:
            provenance.set_priority(source, number)
        except ValidationError as exc:
            raise CommandError("priorité : " + " ".join(exc.messages)) from exc
        self.stdout.write(f"Priorité de {slug} : {before} → {number}. Elle s'applique à partir du prochain import "
                          "de chaque enregistrement ; les valeurs affichées ne sont pas recalculées.")
