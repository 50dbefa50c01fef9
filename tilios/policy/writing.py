"""Writing the archive: actors, programmes, promises, outcomes and replies, the same way from the API, the
command line and the pages.

Every write is a revision under the same governance as places (live for trusted contributors, pending for
new ones, history, revert). Input names records the way people know them — a programme by its slug, an
actor by its name — and an actor unknown so far is created on the fly when its kind is given."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tilios.places.models import Place, public_id_in
from tilios.revisions import services as revisions

from .models import Actor, Announcement, Outcome, Programme, Promise, Reply

TYPES = {"actors": Actor, "programmes": Programme, "promises": Promise, "outcomes": Outcome, "replies": Reply}


def model_of(type_name):
    try:
        return TYPES[type_name]
    except KeyError:
        raise ValidationError({"type": [_("type inconnu : %(type)s (%(known)s)") % {
            "type": type_name, "known": ", ".join(TYPES)}]}) from None


def _actor(ref, user, summary, errors):
    """An actor given by id, exact name, or {name, kind[, territory_code]} (created if new)."""
    if isinstance(ref, int):
        found = Actor.objects.filter(pk=ref).first()
    elif isinstance(ref, dict):
        name = str(ref.get("name", "")).strip()
        if not name:
            errors.setdefault("actors", []).append(_("un acteur sans nom"))
            return None
        found = Actor.objects.filter(name__iexact=name).first()
        if found is None:
            try:
                found, _revision = revisions.create(
                    Actor, {"name": name, "kind": ref.get("kind", ""),
                            "territory_code": str(ref.get("territory_code", "")).strip()},
                    user, summary or _("Acteur créé avec un contenu de l'archive"))
            except ValidationError as exc:
                errors.setdefault("actors", []).extend(
                    f"{name} — {field} : {' '.join(messages)}" for field, messages in exc.message_dict.items())
                return None
    else:
        found = Actor.objects.filter(name__iexact=str(ref).strip()).first()
    if found is None and not isinstance(ref, dict):
        errors.setdefault("actors", []).append(
            _("acteur inconnu : %(ref)s — donnez {\"name\": …, \"kind\": …} pour le créer") % {"ref": ref})
    return found


def _by(model, field, value, name, errors):
    """The id of the `model` whose `field` is `value` (an id also works), or an error on `name`."""
    if value in (None, ""):
        return None
    found = model.objects.filter(pk=value).first() if isinstance(value, int) else \
        model.objects.filter(**{field: str(value).strip()}).first()
    if found is None:
        errors[name] = [_("%(name)s inconnu : %(value)s") % {"name": name, "value": value}]
        return None
    return found.pk


def _place_links(value, errors):
    """A programme's places as people write them — public ids, page addresses, or {place, since, until} —
    as the revision holds them (place ids; an id is kept as it is). A place merged since stands for the one
    it went into."""
    if not isinstance(value, list):
        errors["places"] = [_("une liste de lieux attendue")]
        return value
    links = [item if isinstance(item, dict) else {"place": item} for item in value]
    if not all(isinstance(link.get("place"), (int, str)) for link in links):
        errors["places"] = [_("un lieu est donné par son identifiant ou l'adresse de sa page")]
        return value
    named = {link["place"]: public_id_in(link["place"]) for link in links if isinstance(link["place"], str)}
    found = {public_id: merged_into or pk for public_id, pk, merged_into in Place.objects.filter(
        public_id__in=set(named.values()), is_published=True).values_list("public_id", "pk", "merged_into_id")}
    unknown = [ref for ref, public_id in named.items() if public_id not in found]
    if unknown:
        errors["places"] = [_("lieu inconnu : %(ref)s") % {"ref": ", ".join(unknown[:5])}]
        return value
    return [{**link, "place": found[named[link["place"]]]} if link["place"] in named else link for link in links]


def resolve(model, data, user=None, summary=""):
    """`data` with the references people write turned into ids; actors created on the fly."""
    errors, data = {}, dict(data)
    if "actors" in data:
        if not isinstance(data["actors"], list):
            errors["actors"] = [_("une liste d'acteurs attendue")]
        else:
            actors = [_actor(ref, user, summary, errors) for ref in data["actors"]]
            data["actors"] = sorted({a.pk for a in actors if a is not None})
    if model is Reply and "actor" in data:
        actor = _actor(data["actor"], user, summary, errors)
        data["actor"] = actor.pk if actor else None
    if model is Programme and "places" in data:
        data["places"] = _place_links(data["places"], errors)
    references = {"programme": (Programme, "slug"), "announcement": (Announcement, "pk"),
                  "promise": (Promise, "pk"), "outcome": (Outcome, "pk")}
    for name, (related, field) in references.items():
        if name in data:
            data[name] = _by(related, field, data[name], name, errors)
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic  # an actor created on the fly goes if the record it came with is refused
def create(type_name, data, user, summary=""):
    """A new record of the archive: (record, revision)."""
    model = model_of(type_name)
    if model is Reply and bool(data.get("promise")) == bool(data.get("outcome")):
        raise ValidationError({"promise": [_("une réponse porte sur une promesse ou sur un résultat, un seul")]})
    return revisions.create(model, resolve(model, data, user, summary), user, summary)


def find(type_name, key):
    """A published record by its key: a programme's slug, otherwise the id."""
    model = model_of(type_name)
    if model is Programme:
        found = model.objects.published().filter(slug=str(key)).first()
    else:
        found = model.objects.published().filter(pk=int(key)).first() if str(key).isdigit() else None
    if found is None:
        raise ValidationError({"key": [_("contenu introuvable ou non publié : %(key)s") % {"key": key}]})
    return found


@transaction.atomic
def edit(type_name, key, changes, user, summary="", base_revision=None):
    """Change a record of the archive: (record, revision). A change made on a stale `base_revision` is a
    conflict (EditConflict), never a silent overwrite."""
    record = find(type_name, key)
    revision = revisions.edit(record, resolve(type(record), changes, user, summary), user, summary, base_revision)
    return record, revision
