"""How the policy archive's pages show their records: territories by name, figures marked in the texts."""
from django.utils.translation import gettext as _

from tilios.territories.models import Commune, Departement, Epci, Region


def territory_label(code):
    """« Provence-Alpes-Côte d'Azur (région 93) » for a territory code; the code alone if unknown."""
    code = (code or "").strip()
    if not code:
        return ""
    for model, kind in ((Region, _("région")), (Departement, _("département")), (Epci, _("EPCI"))):
        found = model.objects.filter(code=code).first()
        if found is not None:
            return f"{found.name} ({kind} {code})"
    commune = Commune.objects.filter(code=code).order_by("kind").first()
    return f"{commune.name} ({_('commune')} {code})" if commune else code


def highlight(text, marks):
    """Cut `text` into segments for the template: marks are (start, end, css class, title); a
    segment under several marks takes all their classes. The template escapes every segment."""
    text = text or ""
    marks = [(max(0, s), min(len(text), e), cls, title) for s, e, cls, title in marks
             if s is not None and e is not None and e > s]
    cuts = sorted({0, len(text), *[m[0] for m in marks], *[m[1] for m in marks]})
    segments = []
    for start, end in zip(cuts, cuts[1:]):
        over = [m for m in marks if m[0] <= start and end <= m[1]]
        classes = " ".join(sorted({c for m in over for c in m[2].split()}))
        title = " · ".join(dict.fromkeys(m[3] for m in over if m[3]))
        segments.append({"text": text[start:end], "cls": classes, "title": title})
    return segments


def number(value):
    """20000.0 → « 20 000 », 1.5 → « 1,5 » (French digits, no trailing zeros)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:g}".replace(".", ",")


def figure_label(f):
    value = str(int(f.value)) if f.kind in ("year", "deadline") else number(f.value)
    if f.high is not None:
        value = f"{value}–{number(f.high)}"
    return f"{f.get_kind_display()} : {value} {f.unit}".strip()


def figure_marks(figures, keys=None, cls="fig"):
    return [(f.start, f.end, f"{cls} fig-{f.kind}", figure_label(f)) for f in figures
            if keys is None or f.key in keys]
