"""The parameters of a published count, read from a request and written back as the exact CLI line
and API address that re-derive it: always the definition *version* and explicit dates.

The API (tilios.api.census) and the web pages (tilios.web.census_views) both read their query
strings here, so a figure shown on a page and the same figure fetched from the API agree.
"""
import datetime
import re
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from tilios.territories.models import Commune, Departement, Epci, Region

from . import services
from .estimation import estimate_population

CODE = re.compile(r"^[0-9A-Za-z]{1,9}$")
TERRITORY_MODELS = {"region": Region, "departement": Departement, "epci": Epci, "commune": Commune}


def parse_date(value, name):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise services.CensusError(_("%(name)s : date invalide « %(value)s » (attendu : AAAA-MM-JJ)") % {
            "name": name, "value": value[:40]}) from None


def parse_within(text):
    """`departement:42` (or `departement=42`), several separated by commas → {"departement": "42"}."""
    within = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        level, sep, code = part.replace("=", ":", 1).partition(":")
        level, code = level.strip(), code.strip()
        if not sep or not code:
            raise services.CensusError(_("within : NIVEAU:CODE attendu, par exemple departement:42"))
        if level not in services.WITHIN:
            raise services.CensusError(_("niveau de territoire inconnu : %(l)s (possibles : %(all)s)") % {
                "l": level[:30], "all": ", ".join(services.WITHIN)})
        if not CODE.match(code):
            raise services.CensusError(_("code de territoire invalide : %(c)s") % {"c": code[:30]})
        model = TERRITORY_MODELS[level]
        qs = model.objects.filter(code=code)
        if level == "commune":
            qs = qs.filter(kind=Commune.Kind.CURRENT)
        if not qs.exists():
            raise services.CensusError(_("territoire inconnu : %(l)s %(c)s") % {"l": level, "c": code})
        within[level] = code
    return within


def within_text(within, sep=":"):
    return ",".join(f"{level}{sep}{code}" for level, code in (within or {}).items())


def within_labels(within):
    labels = []
    for level, code in (within or {}).items():
        qs = TERRITORY_MODELS[level].objects.filter(code=code)
        if level == "commune":
            qs = qs.filter(kind=Commune.Kind.CURRENT)
        name = qs.values_list("name", flat=True).first()
        labels.append(f"{name} ({code})" if name else code)
    return labels


@dataclass
class CountQuery:
    """A count's parameters, resolved: the definition version and both dates are explicit."""

    definition: services.CensusDefinition
    valid_on: datetime.date
    known_on: datetime.date
    by: str | None = None
    within: dict = field(default_factory=dict)

    def run(self):
        return services.count(self.definition, self.valid_on, self.known_on, self.by, self.within)

    def params(self, **changes):
        values = {"definition": self.definition.ref, "valid_on": self.valid_on.isoformat(),
                  "known_on": self.known_on.isoformat(), "by": self.by or "", "within": within_text(self.within)}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}

    def query_string(self, **changes):
        return urlencode(self.params(**changes), safe="@:,")

    def api_url(self, path="/api/census", **changes):
        return f"{path}?{self.query_string(**changes)}"

    def cli(self, by=True, extra=()):
        args = ["tilios", "census", "--definition", self.definition.ref, "--valid-on", self.valid_on.isoformat(),
                "--known-on", self.known_on.isoformat()]
        if by and self.by:
            args += ["--by", self.by]
        for level, code in self.within.items():
            args += ["--within", f"{level}={code}"]
        return shlex.join([*args, *extra])

    def reproduce(self):
        return {"cli": self.cli(), "api": self.api_url()}


def resolve(definition=None, valid_on=None, known_on=None, by=None, within=None):
    """Read raw query values (strings) into a CountQuery; CensusError with a clear reason otherwise."""
    d = services.get_definition((definition or "").strip() or None)
    today = timezone.localdate()
    valid = parse_date(valid_on, "valid_on") or today
    known = parse_date(known_on, "known_on") or today
    if known > today:
        raise services.CensusError(_("known_on : la date de connaissance ne peut pas être dans le futur (%(d)s)")
                                   % {"d": known.isoformat()})
    by = (by or "").strip() or None
    if by and by not in services.LEVELS:
        raise services.CensusError(_("ventilation inconnue : %(by)s (possibles : %(all)s)") % {
            "by": by[:30], "all": ", ".join(services.LEVELS)})
    return CountQuery(d, valid, known, by, parse_within(within))


def parse_sources(text):
    slugs = [s.strip() for s in (text or "").split(",") if s.strip()]
    return list(dict.fromkeys(slugs))


@dataclass
class EstimateQuery:
    """An estimate's parameters: the sources, and what restricts the places compared (all optional)."""

    sources: list
    definition: services.CensusDefinition | None = None
    valid_on: datetime.date | None = None
    known_on: datetime.date | None = None
    within: dict = field(default_factory=dict)
    by: str | None = None

    def run(self):
        return estimate_population(self.sources, self.definition, self.valid_on, self.known_on, self.within,
                                   self.by)

    def params(self):
        values = {"sources": ",".join(self.sources), "definition": self.definition.ref if self.definition else "",
                  "valid_on": self.valid_on.isoformat() if self.valid_on else "",
                  "known_on": self.known_on.isoformat() if self.known_on else "",
                  "within": within_text(self.within), "by": self.by or ""}
        return {k: v for k, v in values.items() if v}

    def reproduce(self):
        args = ["tilios", "estimate", "--sources", ",".join(self.sources)]
        for name, value in self.params().items():
            if name == "within":
                for level, code in self.within.items():
                    args += ["--within", f"{level}={code}"]
            elif name != "sources":
                args += ["--" + name.replace("_", "-"), value]
        return {"cli": shlex.join(args), "api": "/api/census/estimate?" + urlencode(self.params(), safe="@:,")}


def resolve_estimate(sources, definition=None, valid_on=None, known_on=None, within=None, by=None):
    """Read raw values (strings) into an EstimateQuery. With no date and no definition, the places the
    sources list today are compared; otherwise both dates are explicit (today by default)."""
    slugs = parse_sources(sources)
    d = services.get_definition(definition.strip()) if (definition or "").strip() else None
    valid, known = parse_date(valid_on, "valid_on"), parse_date(known_on, "known_on")
    if known and known > timezone.localdate():
        raise services.CensusError(_("known_on : la date de connaissance ne peut pas être dans le futur (%(d)s)")
                                   % {"d": known.isoformat()})
    if d or valid or known:  # a dated estimate names both its dates, so that its line re-derives it later
        valid, known = valid or timezone.localdate(), known or timezone.localdate()
    return EstimateQuery(slugs, d, valid, known, parse_within(within), (by or "").strip() or None)
