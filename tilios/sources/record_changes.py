"""What a source's record brings to the place it describes, field by field: the record wins a field only
where its source has the highest priority among the place's sources, never over a person's edit (a
`FieldConflict` is queued instead), and lists (kinds, links, the offer) are joined across sources."""
from . import provenance
from .models import FieldConflict


def wanted(place, record, old_fields, run, others=None, human=None):
    """The changes `record` brings to `place`, field by field: the record changes a field only where it has
    the highest priority among the place's other sources, and never a field a person edited since (a
    conflict is queued instead). A name it replaces, or one it gives that is not shown, stays an alternate
    name. Returns (changes, how many conflicts were queued). A batch passes the place's records (`others`,
    with their source) and its `provenance.human_fields` read for all its places at once."""
    current = place.current_revision.data
    if others is None:
        others = place.records.select_related("source")
    others = [r for r in others if r.pk != record.pk]
    human = provenance.human_fields(place) if human is None else human
    names = list(provenance.COMPARED) + [n for n in record.fields if n not in provenance.COMPARED
                                         and n not in ("latitude", "longitude")]
    changes, conflicts = {}, 0
    for name in names:
        said, said_before = provenance.value_of(record.fields, name), provenance.value_of(old_fields, name)
        if provenance.is_empty(said) and provenance.is_empty(said_before):
            continue
        shown = provenance.value_of(current, name)
        if name in provenance.JOINED and others:  # several sources: what each says is joined
            wanted = _joined(name, shown, said, said_before)
        else:
            winner = provenance.winning_record(others + [record], name)
            if winner is not record and winner is not None:
                if name == "name" and said and not provenance.same_value("name", said, shown):
                    _add_alternate(changes, current, said)
                continue
            wanted = provenance.value_of(record.fields, name)
        if wanted == shown:
            continue
        if name in human:
            if not provenance.same_value(name, said, said_before) and not provenance.same_value(name, said, shown):
                conflicts += _conflict(place, record, name, said, shown, human[name], run)
            continue
        if name == "location":
            changes["latitude"], changes["longitude"] = wanted if wanted else (None, None)
        else:
            changes[name] = wanted
    shown_name = current.get("name")
    if changes.get("name") and shown_name and not provenance.same_value("name", changes["name"], shown_name):
        _add_alternate(changes, current, shown_name)  # « BerryLab 36 » stays findable once « BERRY LAB 36 » shows
    return changes, conflicts


def _joined(name, shown, said, said_before):
    """Kinds, links and the offer's lists from several sources: add what the source says now, drop only what
    it alone said."""
    shown, said, said_before = list(shown or []), list(said or []), list(said_before or [])
    if name != "links":
        return sorted((set(shown) - (set(said_before) - set(said))) | set(said))
    dropped = {link["url"] for link in said_before} - {link["url"] for link in said}
    kept = [link for link in shown if link["url"] not in dropped]
    return kept + [link for link in said if link["url"] not in {k["url"] for k in kept}]


def _add_alternate(changes, current, name):
    names = changes.get("alternate_names", list(current.get("alternate_names") or []))
    if len(names) < 20 and not any(provenance.same_value("name", name, n) for n in names):
        changes["alternate_names"] = names + [name]
    shown = changes.get("name")
    if shown and "alternate_names" in changes:  # the shown name is not also an alternate
        changes["alternate_names"] = [n for n in changes["alternate_names"] if n != shown]


def _conflict(place, record, name, said, shown, revision, run):
    """Queue (or refresh) the question « the source now says X, a person wrote Y »: 1 if new."""
    existing = FieldConflict.objects.filter(place=place, field=name, record=record,
                                            status=FieldConflict.Status.PENDING).first()
    if existing is not None:
        existing.source_value, existing.current_value, existing.run = said, shown, run
        existing.save(update_fields=["source_value", "current_value", "run"])
        return 0
    if record.pk is None:
        record.save()
    FieldConflict.objects.create(place=place, field=name, record=record, source_value=said, current_value=shown,
                                 human_revision=revision, run=run)
    return 1
