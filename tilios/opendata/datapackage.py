"""The registry as a Frictionless Data Package: places, their kinds, sources, licences and the crosswalk
from each place to the source records it was built from, each table with its Table Schema.

Written by hand (plain JSON and CSV) rather than with the `frictionless` library, which the tests use
to validate it: that library pulls some twenty packages the running product does not otherwise need.
"""
import json
import tempfile
import zipfile
from pathlib import Path

from django.utils import timezone

from tilios import csvsafe
from tilios.places import taxonomy
from tilios.places.models import Kind, Place
from tilios.sources import crosswalk
from tilios.sources import licences as licence_rules
from tilios.sources.models import Source

from .exports import CSV_COLUMNS, csv_row, whole_licence, with_export_details


def _enum(choices):
    return {"enum": [value for value, _label in choices]}


_BOOLEAN = {"type": "boolean", "trueValues": ["1"], "falseValues": ["0"]}
_PLACE_FIELDS = {
    "id": {"type": "string", "constraints": {"required": True, "unique": True}},
    "name": {"type": "string", "constraints": {"required": True}},
    "alternate_names": {"type": "string", "description": "autres noms, séparés par « | »"},
    "kinds": {"type": "string", "description": "codes des types (table kinds), séparés par une espace"},
    "presence": {"type": "string", "constraints": _enum(Place.Presence.choices)},
    "mobility": {"type": "string", "constraints": _enum(Place.Mobility.choices)},
    "status": {"type": "string", "constraints": _enum(Place.Status.choices)},
    "opened_on": {"type": "date"}, "closed_on": {"type": "date"},
    "temporary": _BOOLEAN,
    "latitude": {"type": "number", "constraints": {"minimum": -90, "maximum": 90}},
    "longitude": {"type": "number", "constraints": {"minimum": -180, "maximum": 180}},
    "commune_check": {"type": "string", "constraints": _enum(Place.CommuneCheck.choices)},
    "in_metropole": _BOOLEAN,
    "capacity": {"type": "integer", "constraints": {"minimum": 0}},
    "links": {"type": "string", "description": "adresses séparées par une espace"},
    "services": {"type": "string", "description": f"codes des services et équipements (taxonomie {taxonomy.VERSION} "
                                                 "de Tilios), séparés par une espace"},
    "access": {"type": "string", "description": "codes des conditions d'accès, séparés par une espace"},
    "audiences": {"type": "string", "description": "codes des publics accueillis, séparés par une espace"},
    "wheelchair": {"type": "string", "constraints": {"enum": list(taxonomy.WHEELCHAIR)},
                   "description": "accès en fauteuil roulant (étiquette OSM wheelchair) ; vide : inconnu"},
    # A URI, not a bare « +33… »: CSV cells starting with « + » are escaped against spreadsheet formulas.
    "phone": {"type": "string", "constraints": {"pattern": r"tel:\+[1-9][0-9]{4,14}"},
              "description": "téléphone, URI tel: au format international E.164 (tel:+33477123456) ; les "
                             "courriels des lieux ne sont pas republiés en masse"},
}
PLACE_COLUMNS = [c for c in CSV_COLUMNS if c not in ("sources", "licences", "attributions", "source_records")]


def _fields(columns, types=None):
    types = types or {}
    return [{"name": c, **types.get(c, {"type": "string"})} for c in columns]


SCHEMAS = {
    "places": {"fields": _fields(PLACE_COLUMNS, _PLACE_FIELDS), "primaryKey": ["id"]},
    "kinds": {"fields": _fields(["code", "label", "label_en", "cget_typology", "taxonomy_version"],
                                {"code": {"type": "string", "constraints": {"required": True}}}),
              "primaryKey": ["code"]},
    "place_kinds": {"fields": _fields(["place_id", "kind"]), "primaryKey": ["place_id", "kind"],
                    "foreignKeys": [
                        {"fields": ["place_id"], "reference": {"resource": "places", "fields": ["id"]}},
                        {"fields": ["kind"], "reference": {"resource": "kinds", "fields": ["code"]}}]},
    "licences": {"fields": _fields(["id", "title", "path", "share_alike"],
                                   {"share_alike": {"type": "boolean", "trueValues": ["1"],
                                                    "falseValues": ["0"],
                                                    "description": "vide : on ne sait pas"}}),
                 "primaryKey": ["id"]},
    "sources": {"fields": _fields(["slug", "name", "publisher", "url", "licence", "licence_text", "attribution",
                                   "data_date", "priority"],
                                  {"data_date": {"type": "date"}, "priority": {"type": "integer"},
                                   "licence": {"type": "string", "description": "identifiant (table licences)"},
                                   "licence_text": {"type": "string",
                                                    "description": "la licence telle que la source l'écrit"}}),
                "primaryKey": ["slug"],
                "foreignKeys": [{"fields": ["licence"], "reference": {"resource": "licences", "fields": ["id"]}}]},
    "place_source_records": {
        "description": "table de correspondance : chaque lieu et les enregistrements des sources dont il est fait",
        "fields": _fields(["place_id", "source", "record_id", "source_record"],
                          {"source_record": {"type": "string", "description": "« source:identifiant »"}}),
        "primaryKey": ["source", "record_id"],
        "foreignKeys": [
            {"fields": ["place_id"], "reference": {"resource": "places", "fields": ["id"]}},
            {"fields": ["source"], "reference": {"resource": "sources", "fields": ["slug"]}}]},
}


def write(queryset, directory):
    """Write the package of `queryset` (published places) into `directory`; returns its descriptor."""
    sources = list(Source.objects.filter(records__place__in=queryset).distinct().order_by("slug"))
    whole = whole_licence(sources)  # refused (ShareAlikeConflict) before anything is written
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    writers, files = {}, []
    try:
        for name in ("places", "place_kinds", "place_source_records"):
            f = open(directory / f"{name}.csv", "w", encoding="utf-8", newline="")
            files.append(f)
            writers[name] = csvsafe.writer(f, lineterminator="\n")
            writers[name].writerow([field["name"] for field in SCHEMAS[name]["fields"]])
        count = 0
        for place in with_export_details(queryset).iterator(chunk_size=2000):
            row = csv_row(place)
            writers["places"].writerow([row[c] for c in PLACE_COLUMNS])
            writers["place_kinds"].writerows([place.public_id, k.code] for k in place.kinds.all())
            writers["place_source_records"].writerows(
                [place.public_id, r.source.slug, r.external_id, crosswalk.record_id(r.source.slug, r.external_id)]
                for r in sorted(place.records.all(), key=lambda r: (r.source.slug, r.external_id)))
            count += 1
    finally:
        for f in files:
            f.close()

    licences = {lic["id"]: lic for lic in distinct_licences(sources)}
    _table(directory / "kinds.csv", SCHEMAS["kinds"],
           ([k.code, k.label, k.label_en, k.cget_typology, k.introduced_in] for k in Kind.objects.all()))
    _table(directory / "licences.csv", SCHEMAS["licences"],
           ([lic["id"], lic["title"], lic["path"], "" if lic["share_alike"] is None else int(lic["share_alike"])]
            for lic in sorted(licences.values(), key=lambda lic: lic["id"])))
    _table(directory / "sources.csv", SCHEMAS["sources"],
           ([s.slug, s.name, s.publisher, s.url, licence_rules.describe(s)["id"], s.licence, s.attribution,
             s.data_date or "", s.priority] for s in sources))
    descriptor = descriptor_of(count, sources, list(licences.values()), whole)
    (directory / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=1) + "\n",
                                                encoding="utf-8")
    return descriptor


def _table(path, schema, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csvsafe.writer(f, lineterminator="\n")
        writer.writerow([field["name"] for field in schema["fields"]])
        writer.writerows(rows)


def distinct_licences(sources):
    """The licences of `sources` as data packages name them, each once, by id."""
    licences = {}
    for source in sources:
        licence = licence_rules.describe(source)
        licences.setdefault(licence["id"], licence)
    return sorted(licences.values(), key=lambda lic: lic["id"])


def licence_terms(licences, whole, sources_where, places_where):
    """(notice, licences the package declares): the share-alike licence of the whole when there is one,
    else each part's own; `sources_where` and `places_where` say where the package tells them apart."""
    if whole:
        return (f"Cet export contient des données sous {whole['title']}, une licence à partage à l'identique : "
                f"l'ensemble est diffusé sous {whole['title']}, et toute base qui en dérive doit l'être aussi. "
                f"Chaque source garde sa licence et son attribution ({sources_where})."), [whole]
    return (f"Chaque lieu garde la licence des sources dont il vient ({places_where}).",
            sorted(licences, key=lambda lic: lic["id"]))


def descriptor_of(count, sources, licences, whole):
    attribution = " ; ".join(s.attribution for s in sources)
    notice, package_licences = licence_terms(licences, whole, "table sources",
                                             "tables sources et place_source_records")
    return {
        "profile": "tabular-data-package",
        "name": "tilios-lieux",
        "title": "Tilios — registre ouvert des tiers-lieux",
        "description": f"{count} lieux publiés. {notice} Attribution : {attribution}",
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "licenses": [{"name": lic["id"], "title": lic["title"], "path": lic["path"]} for lic in package_licences],
        "share_alike": bool(whole),
        "attribution": attribution,
        "sources": [{"title": s.name, "path": s.url} if s.url else {"title": s.name} for s in sources],
        "resources": [
            {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": SCHEMAS[name]}
            for name in ("places", "kinds", "place_kinds", "sources", "licences", "place_source_records")],
    }


def write_zip(queryset, out):
    """The package of `queryset` zipped into the binary file `out` (the web and API download)."""
    with tempfile.TemporaryDirectory(prefix="tilios-datapackage-") as tmp:
        descriptor = write(queryset, tmp)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(Path(tmp) / "datapackage.json", "datapackage.json")
            for resource in descriptor["resources"]:
                zf.write(Path(tmp) / resource["path"], resource["path"])
    return descriptor
