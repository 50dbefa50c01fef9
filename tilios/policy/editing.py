"""The archive's records are revisable like places and pages (attributed, reviewable, revertible)."""
import dataclasses
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tilios.places.models import Place
from tilios.revisions.registry import model_editable, register

from .models import Actor, Announcement, Outcome, Programme, ProgrammePlace, Promise, Reply

ACTOR = model_editable(Actor, ["name", "kind", "territory_code"])
ANNOUNCEMENT = model_editable(Announcement, ["made_on", "title", "text", "territory_code", "programme",
                                             "source_url", "source_title", "source_page", "archive_url"],
                              m2m=["actors"], text_fields=["text"])
PROMISE = model_editable(Promise, ["announcement", "programme", "metric", "target_value", "unit", "deadline",
                                   "territory_code", "quote", "count_from_registry"])
OUTCOME = model_editable(Outcome, ["promise", "value", "measured_on", "source_url", "archive_url", "method", "note",
                                    "distribution"],
                         text_fields=["note"])
REPLY = model_editable(Reply, ["actor", "promise", "outcome", "made_on", "text", "source_url"], text_fields=["text"])


def place_links(record):
    """A programme's places as its revisions hold them: [{place, since, until}] by place id."""
    if not record.pk:
        return []
    return [{"place": place, "since": since and since.isoformat(), "until": until and until.isoformat()}
            for place, since, until in record.place_links.order_by("place_id").values_list("place_id", "since", "until")]


def as_link(item):
    """One link as revisions hold it; a bare place id is a link without dates, as revisions written before
    links had dates hold them."""
    return {"place": item, "since": None, "until": None} if isinstance(item, int) else item


def clean_place_links(value):
    """[{place, since, until}] from what a revision or a writer gives (see `as_link`). Raises
    ValidationError with every error; a place is named by its public id, as people know it."""
    if not isinstance(value, list):
        raise ValidationError([_("une liste de lieux attendue")])
    links, errors = {}, []
    for item in value:
        link = as_link(item)
        if not isinstance(link, dict) or not isinstance(link.get("place"), int) or set(link) - {"place", "since",
                                                                                                   "until"}:
            errors.append(_("lien illisible : %(item)s ({\"place\": id, \"since\": date, \"until\": date} "
                            "attendu)") % {"item": str(item)[:80]})
            continue
        links[link["place"]] = link
    known = dict(Place.objects.filter(pk__in=links).values_list("pk", "public_id"))
    cleaned = []
    for pk, link in sorted(links.items()):
        if pk not in known:
            errors.append(_("identifiant inconnu : %(id)s") % {"id": pk})
            continue
        dates = {}
        for end in ("since", "until"):
            try:
                dates[end] = datetime.date.fromisoformat(link[end]) if link.get(end) else None
            except (TypeError, ValueError):
                errors.append(_("lieu %(place)s : date illisible : %(date)s (AAAA-MM-JJ)") % {
                    "place": known[pk], "date": str(link[end])[:40]})
        if dates.get("since") and dates.get("until") and dates["until"] < dates["since"]:
            errors.append(_("lieu %(place)s : la fin précède le début") % {"place": known[pk]})
        cleaned.append({"place": pk, **{end: day and day.isoformat() for end, day in dates.items()}})
    if errors:
        raise ValidationError(errors)
    return cleaned


def _programme():
    plain = model_editable(Programme, ["slug", "name", "kind", "started_on", "ended_on", "budget_eur",
                                       "description"], m2m=["actors"], text_fields=["description"])

    def snapshot(record):
        return {**plain.snapshot(record), "places": place_links(record)}

    def validate(data):
        errors, clean = {}, {}
        try:
            clean = plain.validate({k: v for k, v in data.items() if k != "places"})
        except ValidationError as exc:
            errors.update(exc.message_dict)
        try:
            clean["places"] = clean_place_links(data.get("places") or [])
        except ValidationError as exc:
            errors["places"] = exc.messages
        if errors:
            raise ValidationError(errors)
        return clean

    def apply(record, data):  # `data` was validated when its revision was written
        with transaction.atomic():
            plain.apply(record, {k: v for k, v in data.items() if k != "places"})
            record.place_links.all().delete()
            ProgrammePlace.objects.bulk_create(
                ProgrammePlace(programme=record, place_id=link["place"], since=link.get("since"),
                               until=link.get("until")) for link in map(as_link, data.get("places") or []))

    return register(dataclasses.replace(plain, fields=plain.fields + ("places",),
                                        defaults={**plain.defaults, "places": []},
                                        snapshot=snapshot, validate=validate, apply=apply))


PROGRAMME = _programme()
