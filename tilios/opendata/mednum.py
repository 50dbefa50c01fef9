"""The registry in the national standard of the « lieux de médiation numérique » (LaMednum, the Table Schema
published on schema.data.gouv.fr, shipped in tilios/data/mednum-schema-v1.0.2): a CSV valid against that
schema, and a zip that also carries the licences (a Frictionless data package: the CSV, the schema and a
descriptor naming the licence of the whole). `tilios import mednum` reads the CSV back.

The standard says less than Tilios, so some things are said coarser or not at all:
- places it cannot hold are left out and counted: closed ones, and those without a street address, a
  five-digit postcode or a commune (all required by the schema);
- kinds become data·inclusion typologies: epn → EPN, fablab → FABLAB, any other tiers-lieu → TIERS_LIEUX;
- services, access and audiences are published under the standard's closed lists (`taxonomy.MEDNUM_V1`),
  several narrow terms under one label; equipment it has no word for (meeting room, café…) is not published;
- SIRET is unknown to Tilios: `pivot` holds fourteen zeros, the national cartography's « unknown »;
- phones outside the areas the schema accepts are left out, and e-mail addresses are never published in
  bulk (the contact form relays them): `courriels` stays empty.
"""
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from tilios import csvsafe
from tilios.places import taxonomy
from tilios.places.models import Place
from tilios.sources.models import Source

from . import datapackage
from .exports import sources_of, whole_licence, with_export_details

SCHEMA_PATH = settings.DATA_DIR / "mednum-schema-v1.0.2" / "schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
COLUMNS = [f["name"] for f in SCHEMA["fields"]]
CSV_NAME = "lieux-mediation-numerique.csv"
JSON_NAME = "lieux-mediation-numerique.json"
PIVOT_UNKNOWN = "00000000000000"
TYPOLOGIES = {"epn": "EPN", "fablab": "FABLAB"}  # every other kind is a tiers-lieu
TIERS_LIEUX = "TIERS_LIEUX"
ITINERANCE = {Place.Mobility.ITINERANT: "Itinérant", Place.Mobility.FIXED: "Fixe"}
RESUME_MAX = 280  # the schema's maxLength of presentation_resume
NOT_ON_SITE_WEB = ("acceslibre", "email")


def _pattern(name):
    return re.compile(next(f for f in SCHEMA["fields"] if f["name"] == name)["constraints"]["pattern"])


PHONE, POSTCODE, INSEE = _pattern("telephone"), _pattern("code_postal"), _pattern("code_insee")


@dataclass
class Written:
    count: int = 0
    left_out: dict = field(default_factory=dict)  # why -> how many places

    def summary(self):
        return ", ".join(f"{n} {why}" for why, n in sorted(self.left_out.items())) or "aucun"


def _line(text):
    """One line, single spaces: the standard's text cells, as readers of it (Tilios's own) take them."""
    return " ".join(text.split())


def _commune(place):
    return _line(place.town) or (place.commune.name if place.commune_id else "")


def left_out_because(place):
    """Why the standard cannot hold `place` ("" when it can)."""
    if place.status == Place.Status.CLOSED:
        return "fermés"
    if not _line(place.address):
        return "sans adresse"
    if not POSTCODE.fullmatch(place.postcode.strip()):
        return "sans code postal à cinq chiffres"
    if not _commune(place):
        return "sans commune"
    return ""


def _offer(place):
    cells = {}
    for vocabulary, entries in taxonomy.MEDNUM_V1.items():
        published = {taxonomy.mednum_v1_label(vocabulary, code) for code in getattr(place, vocabulary)}
        for column, label, _codes in entries:  # in the standard's order
            if (column, label) in published:
                cells.setdefault(column, []).append(label)
    return {column: "|".join(labels) for column, labels in cells.items()}


def _links(place):
    """(site_web, fiche_acces_libre): « | » separates addresses in the standard, so one inside is encoded."""
    acceslibre = [link["url"] for link in place.links if link["kind"] == "acceslibre"]
    web = [link["url"] for link in place.links if link["kind"] not in NOT_ON_SITE_WEB] + acceslibre[1:]
    return "|".join(dict.fromkeys(url.replace("|", "%7C") for url in web)), (acceslibre or [""])[0]


def row(place):
    """The standard's columns for `place` (one it can hold)."""
    site_web, acces_libre = _links(place)
    description = place.description.strip()
    short = len(description) <= RESUME_MAX
    code_insee = place.commune.code if place.commune_id else place.declared_commune_code
    sources = sources_of(place)
    values = dict.fromkeys(COLUMNS, "")
    values.update({
        "id": place.public_id, "pivot": PIVOT_UNKNOWN, "nom": _line(place.name), "commune": _commune(place),
        "code_postal": place.postcode.strip(), "code_insee": code_insee if INSEE.fullmatch(code_insee) else "",
        "adresse": _line(place.address),
        "latitude": "" if place.latitude is None else place.latitude,
        "longitude": "" if place.longitude is None else place.longitude,
        "typologie": "|".join(sorted({TYPOLOGIES.get(k.code, TIERS_LIEUX) for k in place.kinds.all()})),
        # « +33… » is a number to a spreadsheet, not a formula: written as the schema wants it
        "telephone": csvsafe.Plain(place.phone) if PHONE.fullmatch(place.phone or "") else "",
        "site_web": site_web, "horaires": place.opening_hours,
        "presentation_resume": description if short else "", "presentation_detail": "" if short else description,
        "source": " ; ".join(s.name for s in sources) if sources else "Tilios",
        "itinerance": ITINERANCE.get(place.mobility, ""),
        "date_maj": timezone.localdate(place.updated_at).isoformat(), "fiche_acces_libre": acces_libre,
        **_offer(place),
    })
    return values


def _rows(queryset, written):
    """The standard's rows of the places of `queryset` it can hold; counts in `written` those it cannot."""
    for place in with_export_details(queryset).iterator(chunk_size=2000):
        why = left_out_because(place)
        if why:
            written.left_out[why] = written.left_out.get(why, 0) + 1
            continue
        written.count += 1
        yield row(place)


def write_csv(queryset, out):
    """The places of `queryset` the standard can hold, as a CSV of its schema; returns what was written."""
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = Written()
    for values in _rows(queryset, written):
        writer.writerow([values[c] for c in COLUMNS])
    return written


def write_json(queryset, out):
    """The same places as a JSON array of records: the schema's fields and types (numbers as numbers,
    « | » between the values of a list, as the schema's patterns want), empty fields left out."""
    written = Written()
    out.write("[")
    for number, values in enumerate(_rows(queryset, written)):
        record = {c: values[c] for c in COLUMNS if values[c] != ""}
        out.write(("," if number else "") + "\n" + json.dumps(record, ensure_ascii=False))
    out.write("\n]\n")
    return written


def licensing(queryset):
    """(sources, licence of the whole or None); ShareAlikeConflict before anything is written."""
    sources = list(Source.objects.filter(records__place__in=queryset).distinct().order_by("slug"))
    return sources, whole_licence(sources)


def descriptor_of(written, sources, whole):
    attribution = " ; ".join(s.attribution for s in sources)
    notice, declared = datapackage.licence_terms(datapackage.distinct_licences(sources), whole,
                                                 "liste sources", "colonne source et liste sources")
    return {
        "profile": "tabular-data-package",
        "name": "tilios-lieux-mediation-numerique",
        "title": "Tilios — lieux au schéma des lieux de médiation numérique",
        "description": f"{written.count} lieux au schéma « {SCHEMA['title']} » {SCHEMA['version']} ({SCHEMA['uri']}). "
                       f"Lieux que le schéma ne peut pas tenir, écartés : {written.summary()}. {notice} "
                       f"Attribution : {attribution}",
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "licenses": [{"name": lic["id"], "title": lic["title"], "path": lic["path"]} for lic in declared],
        "share_alike": bool(whole),
        "attribution": attribution,
        "left_out": written.left_out,
        "sources": [{"title": s.name, "path": s.url} if s.url else {"title": s.name} for s in sources],
        "resources": [{"name": "lieux-mediation-numerique", "path": CSV_NAME, "profile": "tabular-data-resource",
                       "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": "schema.json"}],
    }


def write_zip(queryset, out):
    """The CSV, the schema and a descriptor with the licences, zipped into the binary file `out`."""
    sources, whole = licensing(queryset)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(CSV_NAME, "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            written = write_csv(queryset, text)
            text.flush()
            text.detach()
        zf.write(SCHEMA_PATH, "schema.json")
        descriptor = descriptor_of(written, sources, whole)
        zf.writestr("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=1) + "\n")
    return descriptor
