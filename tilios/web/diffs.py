"""Field-by-field differences between two states of a record, for the compare and moderation pages."""
import difflib

from django.utils.translation import gettext as _

from tilios.media.models import MediaFile
from tilios.pages.models import Page, Training
from tilios.places.contact import public_value
from tilios.places.models import Kind, Place
from tilios.policy.editing import as_link
from tilios.policy.models import Programme
from tilios.revisions.models import Revision

LONG_TEXT = {"description", "body"}
CONTEXT_LINES = 2


def field_label(model, name):
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field only the revision knows
        return name


def show(value):
    """A value as plain text (the template escapes it)."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list):
        return "\n".join(item.get("url", str(item)) if isinstance(item, dict) else str(item) for item in value)
    return str(value)


def shown_place_links(links):
    """A programme's place links as lines « name (id) since → until » (bare ids: links of older revisions)."""
    links = [as_link(link) for link in links or []]
    names = {pk: f"{name} ({public_id})" for pk, name, public_id in Place.objects.filter(
        pk__in=[link.get("place") for link in links]).values_list("pk", "name", "public_id")}
    return [names.get(link.get("place"), str(link.get("place")))
            + (f" {link.get('since') or '…'} → {link.get('until') or '…'}" if link.get("since") or link.get("until")
               else "") for link in links]


def line_diff(before, after):
    """Rows (op, text) with op in « = - + … »: a unified line diff with a little context."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    rows = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        if rows:
            rows.append(("…", ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(("=", line) for line in old[i1:i2])
                continue
            if tag in ("replace", "delete"):
                rows.extend(("-", line) for line in old[i1:i2])
            if tag in ("replace", "insert"):
                rows.extend(("+", line) for line in new[j1:j2])
    return rows


def rows(model, before, after, only_changed=True):
    """[{name, label, before, after, lines, changed}] in the model's field order."""
    names = list(before) + [k for k in after if k not in before]
    kinds = {k.code: k.shown_label for k in Kind.objects.all()} if model is Place and "kinds" in names else {}
    result = []
    for name in names:
        old, new = public_value(name, before.get(name)), public_value(name, after.get(name))
        changed = before.get(name) != after.get(name)
        if only_changed and not changed:
            continue
        if name == "kinds":
            old = [kinds.get(code, code) for code in old or []]
            new = [kinds.get(code, code) for code in new or []]
        if model is Programme and name == "places":
            old, new = shown_place_links(old), shown_place_links(new)
        long_text = name in LONG_TEXT and changed
        result.append({
            "name": name, "label": field_label(model, name), "changed": changed,
            "before": show(old), "after": show(new),
            "lines": line_diff(old, new) if long_text else None,
        })
    return result


def revision_rows(revision, current=None):
    """The rows of what `revision` changes. For a proposal, « Avant » is what is published now (`current`,
    the record's current revision), not the state it was proposed on."""
    model = revision.content_type.model_class()
    if revision.status == Revision.Status.PENDING and current is not None:
        before = {k: current.data.get(k) for k in revision.diff}
    else:
        before = {k: v[0] for k, v in revision.diff.items()}
    after = {k: revision.data.get(k, v[1]) for k, v in revision.diff.items()}
    return rows(model if model in (Place, Page, MediaFile, Training) else Place, before, after)
