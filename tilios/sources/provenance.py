"""Field-level provenance: who gave each value of a place, what every source says, where they disagree.

A place's displayed value of a field is decided in this order: the last edit by a person; else the value
of the source with the highest priority that has one (the most recent import breaks ties). Nothing is
thrown away: every source's value stays on its record and is shown beside the displayed one.
"""
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tilios.accounts import permissions
from tilios.accounts.models import Role
from tilios.places.editing import snapshot
from tilios.places.models import Place
from tilios.revisions.models import Revision
from tilios.revisions.services import NotAllowed, history
from tilios.text import fold

from .entries import Entry, distance_m

# The fields a source can say something about, as shown in the provenance table. Latitude and longitude
# travel together as « location ».
COMPARED = {
    "name": _("nom"),
    "location": _("position"),
    "address": _("adresse"),
    "postcode": _("code postal"),
    "town": _("ville déclarée"),
    "declared_commune_code": _("code INSEE déclaré"),
    "kinds": _("types"),
    "links": _("liens"),
    "status": _("statut"),
    "opened_on": _("ouvert le"),
    "closed_on": _("fermé le"),
    "capacity": _("capacité"),
    "opening_hours": _("horaires"),
    "opening_hours_unparsed": _("horaires non reconnus"),
    "description": _("description"),
    "services": _("services et équipements"),
    "access": _("conditions d'accès"),
    "audiences": _("publics accueillis"),
    "prices": _("tarifs"),
    "wheelchair": _("accès en fauteuil roulant"),
    "phone": _("téléphone"),
    "email": _("courriel"),
}
# Lists several sources complete each other on: what each says is joined, not chosen.
JOINED = ("kinds", "links", "services", "access", "audiences")
DISAGREE_M = 150  # two positions closer than this describe the same spot


def value_of(fields, name):
    if name == "location":
        lat, lon = fields.get("latitude"), fields.get("longitude")
        return None if lat is None or lon is None else [lat, lon]
    return fields.get(name)


def is_empty(value):
    return value in (None, "", [], {})


def same_value(name, a, b):
    """Whether two values of a field say the same thing (positions within DISAGREE_M, case and accents)."""
    if is_empty(a) or is_empty(b):
        return is_empty(a) and is_empty(b)
    if name == "location":
        return _metres(a, b) <= DISAGREE_M
    if name == "links":
        return {link["url"].rstrip("/").lower() for link in a} == {link["url"].rstrip("/").lower() for link in b}
    if name in JOINED:
        return sorted(a) == sorted(b)
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(fold(a).split()) == " ".join(fold(b).split())
    return a == b


def _metres(a, b):
    return distance_m(Entry(None, "", a[0], a[1]), Entry(None, "", b[0], b[1]))


def human_fields(place):
    """{field: revision} for the fields whose current value was last set by a person (not an import)."""
    return human_fields_of([place.pk])[place.pk]


def human_fields_of(place_ids):
    """{place id: `human_fields` of that place} for several places, in one query."""
    owners = {pk: {} for pk in place_ids}
    accepted = Revision.objects.filter(content_type=ContentType.objects.get_for_model(Place), object_id__in=owners,
                                       status=Revision.Status.ACCEPTED)
    for revision in accepted.order_by("object_id", "-number").only("object_id", "diff", "kind", "author_id", "number",
                                                                   "accepted_at"):
        for name in revision.diff:
            owners[revision.object_id].setdefault(name, revision)
    return {pk: {"location" if name in ("latitude", "longitude") else name: revision
                 for name, revision in fields.items()
                 if revision.author_id is not None and revision.kind != Revision.Kind.IMPORT}
            for pk, fields in owners.items()}


def winning_record(records, name):
    """The record whose value of `name` is displayed: highest source priority, then the latest import."""
    candidates = [r for r in records if not is_empty(value_of(r.fields, name))]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.source.priority, r.last_run_id or 0, r.pk or 0))


@dataclass
class FieldProvenance:
    name: str
    label: str
    value: object
    given_by: str  # a source's name, a person's name, or ""
    given_at: object  # datetime or None
    by_person: bool
    claims: list = field(default_factory=list)  # [{"source", "value", "same", "distance_m", "priority"}]

    @property
    def disagreement(self):
        return any(not claim["same"] for claim in self.claims)


def _last_setters(place):
    setters = {}
    for revision in history(place).filter(status=Revision.Status.ACCEPTED).order_by("-number").select_related(
            "author", "source"):
        for name in revision.diff:
            key = "location" if name in ("latitude", "longitude") else name
            setters.setdefault(key, revision)
    return setters


def place_provenance(place):
    """One row per compared field: displayed value, who gave it and when, and every source's claim."""
    current = snapshot(place)
    records = list(place.records.select_related("source", "last_run"))
    setters = _last_setters(place)
    rows = []
    for name, label in COMPARED.items():
        value = value_of(current, name)
        revision = setters.get(name)
        by_person = bool(revision and revision.author_id and revision.kind != Revision.Kind.IMPORT)
        if revision is None:
            given_by = ""
        elif revision.source_id and not by_person:
            given_by = revision.source.name
        elif revision.author_id:
            given_by = revision.author.get_username()
        else:
            given_by = str(_("système"))
        claims = []
        for record in sorted(records, key=lambda r: -r.source.priority):
            claimed = value_of(record.fields, name)
            if is_empty(claimed):
                continue
            claims.append({
                "source": record.source, "record": record, "value": claimed,
                "same": same_value(name, claimed, value),
                "distance_m": _metres(claimed, value) if name == "location" and not is_empty(value) else None,
                "at": record.last_run.started_at if record.last_run else None,
            })
        if is_empty(value) and not claims:
            continue
        rows.append(FieldProvenance(name, str(label), value, given_by, revision.accepted_at if revision else None,
                                    by_person, claims))
    return rows


MAX_PRIORITY = 1000


def set_priority(source, priority, user=None):
    """Change which source wins when sources disagree (administrators; `user` None: the operator's CLI).

    Takes effect as records are next imported: values already displayed are not recomputed here."""
    if user is not None and not permissions.at_least(user, Role.ADMIN):
        raise NotAllowed(_("seuls les administrateurs changent la priorité d'une source"))
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        raise ValidationError({"priority": _("un entier entre 0 et %(max)d") % {"max": MAX_PRIORITY}})
    source.priority = priority
    source.save(update_fields=["priority"])
    return source
