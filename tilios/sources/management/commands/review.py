"""`tilios review …`: the entity-resolution review from the command line, as on the site and in the API.

The same services decide (tilios.sources.resolution) and the same rights apply: decisions are signed by the
account given with --user, which must be allowed to review.
"""
import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from tilios.places import reports
from tilios.places import services as place_services
from tilios.places.models import Place, Report
from tilios.places.presenters import doubtful_location, unparsed_hours_item, unrecognised_item
from tilios.sources import provenance, resolution
from tilios.sources.models import FieldConflict, MatchCandidate, Merge
from tilios.sources.presenters import (
    candidates_out,
    closed_out,
    conflict_out,
    conflicts_qs,
    merge_out,
    merges_qs,
    queue_page,
)

STATUS = {"pending": "à examiner", "later": "plus tard", "same": "même lieu", "distinct": "lieux distincts"}


def _number(value, digits=3):
    return f"{value:.{digits}f}".replace(".", ",")


def _sources(item):
    return ", ".join(item["sources"]) or "sans source"


def _metres(value):
    if value is None:
        return "distance inconnue"
    return f"à {_number(value / 1000, 1)} km" if value >= 1000 else f"à {value:.0f} m"


def _value(value):
    if value in (None, "", []):
        return "(vide)"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return ", ".join(str(v.get("url", v)) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class Command(BaseCommand):
    help = ("Examen des doublons et des conflits avec les sources : « tilios review duplicates [--limit N] », "
            "« tilios review decide ID same|distinct|later --user COMPTE », « tilios review conflicts », "
            "« tilios review resolve ID current|source --user COMPTE », « tilios review merges [LIEU] », "
            "« tilios review undo-merge ID --user COMPTE », « tilios review possibly-closed », "
            "« tilios review reports », « tilios review close-report ID resolved|dismissed --user COMPTE »")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def listing(name, help_text):
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--limit", type=int, default=20, help="nombre de lignes (défaut : 20, au plus 200)")
            command.add_argument("--format", choices=["table", "json"], default="table", help="table ou json")
            return command

        duplicates = listing("duplicates", "doublons possibles, les plus probables d'abord, avec leurs raisons")
        duplicates.add_argument("--status", choices=["pending", "later"],
                                help="pending (à examiner) ou later (remis à plus tard) ; défaut : les deux")
        decide = sub.add_parser("decide", help="trancher une paire : même lieu (fusion), lieux distincts, plus tard")
        decide.add_argument("id", type=int, help="numéro de la paire (voir « tilios review duplicates »)")
        decide.add_argument("decision", choices=["same", "distinct", "later"],
                            help="same : même lieu (fusion) ; distinct : lieux distincts (retenu) ; later : plus tard")
        decide.add_argument("--user", required=True, help="compte qui signe la décision")
        listing("conflicts", "conflits entre une source et une modification humaine, les plus anciens d'abord")
        resolve = sub.add_parser("resolve",
                                 help="trancher un conflit : garder la valeur actuelle ou celle de la source")
        resolve.add_argument("id", type=int, help="numéro du conflit (voir « tilios review conflicts »)")
        resolve.add_argument("keep", choices=["current", "source"],
                             help="current : garder la valeur actuelle ; source : reprendre celle de la source")
        resolve.add_argument("--user", required=True, help="compte qui signe la décision")
        merges = listing("merges", "fusions, les plus récentes d'abord (toutes, ou celles d'un lieu)")
        merges.add_argument("place", nargs="?", help="identifiant d'un lieu")
        undo = sub.add_parser("undo-merge", help="annuler une fusion : le lieu fusionné revient avec ses sources")
        undo.add_argument("id", type=int, help="numéro de la fusion (voir « tilios review merges »)")
        undo.add_argument("--user", required=True, help="compte qui signe l'annulation")
        listing("possibly-closed", "lieux ouverts qu'une source ne liste plus : peut-être fermés")
        listing("locations", "lieux placés à plus de 10 km de leur commune déclarée : position à vérifier")
        listing("hours", "horaires donnés par une source et non reconnus : à réécrire en syntaxe OSM")
        listing("values", "services, conditions d'accès, publics donnés par une source et non reconnus : à relire")
        listing("reports", "signalements de visiteurs (lieu fermé, information fausse), les plus anciens d'abord")
        close = sub.add_parser("close-report", help="traiter un signalement : corrigé ou écarté")
        close.add_argument("id", type=int, help="numéro du signalement (voir « tilios review reports »)")
        close.add_argument("status", choices=["resolved", "dismissed"], help="resolved : corrigé ; dismissed : écarté")
        close.add_argument("--note", default="", help="ce qui a été fait (500 caractères au plus)")
        close.add_argument("--user", required=True, help="compte qui signe la décision")

    def handle(self, action, **options):
        limit = options.get("limit")
        if limit is not None and not 1 <= limit <= 200:
            raise CommandError("--limit : entre 1 et 200")
        handler = getattr(self, "do_" + action.replace("-", "_"))
        try:
            return handler(**options)
        except PermissionDenied as exc:
            raise CommandError(f"refusé : {exc}") from exc
        except ValidationError as exc:
            raise CommandError("refusé : " + " ; ".join(exc.messages)) from exc

    # --- helpers ----------------------------------------------------------------------------------

    def _user(self, username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"compte inconnu : {username}")
        return user

    def _json(self, data):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str))

    def _place_line(self, letter, place):
        where = ", ".join(part for part in (place["address"], " ".join(
            part for part in (place["postcode"], place["town"] or "") if part)) if part)
        position = (f"({place['latitude']:.5f}, {place['longitude']:.5f})" if place["latitude"] is not None
                    else "(sans position)")
        sources = ", ".join(f"{s['source']}:{s['external_id']}" for s in place["sources"]) or "aucune source"
        self.stdout.write(f"  {letter}  {place['id']}  {place['name']} — {where or 'adresse inconnue'}  "
                          f"{position}  [{sources}]")

    # --- actions -------------------------------------------------------------------------------------

    def do_duplicates(self, limit, format, status=None, **options):
        qs = resolution.review_queue()
        if status:
            qs = qs.filter(status=status)
        items, _cursor = queue_page(qs, None, limit)
        data = candidates_out(items)
        if format == "json":
            return self._json(data)
        total = qs.count()
        if not total:
            self.stdout.write("Aucun doublon possible à examiner.")
            return
        later = qs.filter(status=MatchCandidate.Status.LATER).count()
        self.stdout.write(f"Doublons possibles : {total} à examiner"
                          + (f" (dont {later} remis à plus tard)" if later else "")
                          + (f" ; les {len(data)} premiers :" if len(data) < total else " :"))
        for item in data:
            self.stdout.write("")
            self.stdout.write(f"#{item['id']}  probabilité {_number(item['score'])}  {_metres(item['distance_m'])}  "
                              f"{STATUS[item['status']]}")
            for letter, place in zip("AB", item["places"]):
                self._place_line(letter, place)
            self.stdout.write("  raisons : " + " ; ".join(item["reasons"]))
        if data:
            self.stdout.write("")
            self.stdout.write("Trancher : tilios review decide ID same|distinct|later --user COMPTE")

    def do_decide(self, id, decision, user, **options):
        candidate = MatchCandidate.objects.select_related("place_a", "place_b").filter(pk=id).first()
        if candidate is None:
            raise CommandError(f"paire inconnue : {id}")
        if candidate.status not in (MatchCandidate.Status.PENDING, MatchCandidate.Status.LATER):
            raise CommandError(f"la paire {id} a déjà été tranchée ({STATUS[candidate.status]})")
        if not resolution.review_queue().filter(pk=candidate.pk).exists():
            raise CommandError(f"la paire {id} n'est plus à examiner : un des deux lieux a été fusionné ailleurs")
        merge = resolution.decide(candidate, decision, self._user(user))
        if merge is not None:
            self.stdout.write(f"Fusion {merge.pk} : « {merge.merged.name} » ({merge.merged.public_id}) renvoie "
                              f"désormais vers « {merge.kept.name} » ({merge.kept.public_id}). "
                              f"Annuler : tilios review undo-merge {merge.pk} --user {user}")
        elif decision == MatchCandidate.Status.DISTINCT:
            self.stdout.write(f"Paire {id} : deux lieux distincts ; elle ne sera plus proposée.")
        else:
            self.stdout.write(f"Paire {id} remise à plus tard.")

    def do_conflicts(self, limit, format, **options):
        qs = resolution.conflict_queue().select_related("decided_by").order_by("created_at", "id")
        data = [conflict_out(c) for c in qs[:limit]]
        if format == "json":
            return self._json(data)
        total = qs.count()
        if not total:
            self.stdout.write("Aucun conflit avec une modification humaine.")
            return
        self.stdout.write(f"Conflits avec des modifications humaines : {total}"
                          + (f" ; les {len(data)} premiers :" if len(data) < total else " :"))
        for item in data:
            human = item["human_revision"] or {}
            self.stdout.write("")
            self.stdout.write(f"#{item['id']}  {item['place']['id']}  {item['place']['name']} — {item['label']}")
            self.stdout.write(f"  actuelle : {_value(item['current_value'])}  (modifiée par "
                              f"{human.get('author') or '?'}, révision {human.get('number') or '?'})")
            self.stdout.write(f"  source   : {_value(item['source_value'])}  ({item['source']['name']}, "
                              f"enregistrement {item['record']['external_id']})")
        if data:
            self.stdout.write("")
            self.stdout.write("Trancher : tilios review resolve ID current|source --user COMPTE")

    def do_resolve(self, id, keep, user, **options):
        conflict = conflicts_qs().filter(pk=id).first()
        if conflict is None:
            raise CommandError(f"conflit inconnu : {id}")
        if conflict.status != FieldConflict.Status.PENDING:
            raise CommandError(f"le conflit {id} a déjà été tranché ({conflict.get_status_display()})")
        resolution.resolve_conflict(conflict, keep == "source", self._user(user))
        place = Place.objects.get(pk=conflict.place_id)
        now = provenance.value_of(place.current_revision.data, conflict.field)
        done = "valeur de la source reprise" if keep == "source" else "valeur actuelle gardée"
        self.stdout.write(f"Conflit {id} tranché ({done}) : {conflict.field} de {place.public_id} = {_value(now)}")

    def do_merges(self, limit, format, place=None, **options):
        qs = merges_qs()
        if place:
            found = Place.objects.filter(public_id=place).first()
            if found is None:
                raise CommandError(f"lieu inconnu : {place}")
            qs = qs.filter(Q(kept=found) | Q(merged=found))
        data = [merge_out(m) for m in qs[:limit]]
        if format == "json":
            return self._json(data)
        if not data:
            self.stdout.write("Aucune fusion.")
        for item in data:
            state = (f"annulée le {item['undone_at']:%Y-%m-%d} par {item['undone_by'] or 'le système'}"
                     if item["undone_at"] else "en vigueur")
            self.stdout.write(f"#{item['id']}  {item['at']:%Y-%m-%d %H:%M}  {item['merged']['id']} "
                              f"« {item['merged']['name']} » → {item['kept']['id']} « {item['kept']['name']} »  "
                              f"par {item['by'] or 'import automatique'} ; {state}")

    def do_undo_merge(self, id, user, **options):
        merge = Merge.objects.select_related("kept", "merged").filter(pk=id).first()
        if merge is None:
            raise CommandError(f"fusion inconnue : {id}")
        if merge.undone_at is not None:
            raise CommandError(f"la fusion {id} a déjà été annulée")
        restored = resolution.undo_merge(merge, self._user(user))
        self.stdout.write(f"Fusion {id} annulée : « {restored.name} » ({restored.public_id}) est de nouveau un lieu, "
                          f"distinct de « {merge.kept.name} » ({merge.kept.public_id}).")

    def _place_listing(self, qs, present, limit, format, empty, heading, detail):
        """A review list of places, one line each: `present` makes an item (the API's), `detail` its line."""
        data = [present(p) for p in qs[:limit]]
        if format == "json":
            return self._json(data)
        total = qs.count()
        if not total:
            self.stdout.write(empty)
            return
        self.stdout.write(f"{heading} : {total}" + (f" ; les {len(data)} premiers :" if len(data) < total else " :"))
        for item in data:
            self.stdout.write(f"  {item['place']['id']}  {item['place']['name']}  — {detail(item)}")

    def do_possibly_closed(self, limit, format, **options):
        def detail(item):
            run, record = item["missing_since_run"], item["record"]
            return (f"absent de {record['source']} (enregistrement {record['external_id']}) depuis l'import "
                    f"{run['id']} du {run['started_at']:%Y-%m-%d}")

        self._place_listing(resolution.possibly_closed().order_by("id"), closed_out, limit, format,
                            "Aucun lieu ouvert qu'une source aurait cessé de lister.",
                            "Lieux qu'une source ne liste plus", detail)

    def do_locations(self, limit, format, **options):
        def detail(item):
            declared = item["declared_commune"]
            return (f"à {_number(item['distance_km'], 1)} km de {declared['name']} ({declared['code']}), "
                    "commune déclarée")

        self._place_listing(place_services.doubtful_locations(), doubtful_location, limit, format,
                            "Aucun lieu placé loin de sa commune déclarée.",
                            "Lieux placés loin de leur commune déclarée (comptés dans celle-ci)", detail)

    def do_hours(self, limit, format, **options):
        self._place_listing(place_services.unparsed_hours().prefetch_related("records__source"), unparsed_hours_item,
                            limit, format, "Aucun horaire non reconnu.",
                            "Horaires non reconnus, à réécrire en syntaxe OSM",
                            lambda item: f"« {item['opening_hours_unparsed']} » ({_sources(item)})")

    def do_values(self, limit, format, **options):
        def detail(item):
            said = " ; ".join(f"{field} : " + ", ".join(f"« {v} »" for v in values)
                              for field, values in item["unrecognised"].items())
            return f"{said} ({_sources(item)})"

        self._place_listing(place_services.unrecognised_values().prefetch_related("records__source"),
                            unrecognised_item, limit, format, "Aucune valeur non reconnue.",
                            "Valeurs données par une source et non reconnues, à relire", detail)

    def do_reports(self, limit, format, **options):
        qs = reports.queue()
        data = [{"id": r.pk, "place": {"id": r.place.public_id, "name": r.place.name}, "kind": r.kind,
                 "kind_label": r.get_kind_display(), "message": r.message, "email": r.email,
                 "created_at": r.created_at.isoformat()} for r in qs[:limit]]
        if format == "json":
            return self._json(data)
        if not data:
            self.stdout.write("Aucun signalement à traiter.")
            return
        self.stdout.write(f"Signalements à traiter : {qs.count()}")
        for item in data:
            self.stdout.write(f"  #{item['id']}  {item['place']['id']}  {item['place']['name']} — {item['kind_label']}"
                              f" ({item['created_at'][:10]}) : {item['message']}")

    def do_close_report(self, id, status, note, user, **options):
        report = Report.objects.filter(pk=id).first()
        if report is None:
            raise CommandError(f"signalement inconnu : {id}")
        reports.close(report, self._user(user), status, note)
        self.stdout.write(f"Signalement #{id} : {report.Status(status).label}.")
