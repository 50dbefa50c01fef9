"""Lieux de médiation numérique: the national data standard (LaMednum « schéma des lieux de médiation
numérique », as published by Hinaura and Hub du Sud) and the MedNum BFC regional file, CSV or JSON.

Every place is an `epn`; typologies that say more add kinds: BFC `code_typo` TL (tiers-lieu) → `autre`,
F (médiation et fabrication) → `fablab`, T (travail et collaboration) → `coworking`; in the national
files, records coming from France Tiers-Lieux (`source`) or labelled so → `autre`. The standard's
`horaires` (OSM syntax) become the place's opening hours; its `services` and `modalites_accompagnement`,
`conditions_acces` (or `frais_a_charge`) and `publics_accueillis` are read through the vocabularies of
places.taxonomy (values no term means are kept for review); `presentation_resume` / `presentation_detail`
make the description, `fiche_acces_libre` an acceslibre link, `telephone` and `courriel` the place's contact.
Version 1 of the standard (schema v1.0.2, what `tilios export --format mednum` writes) separates values with
« | », splits the publics into `publics_specifiquement_adresses` and `prise_en_charge_specifique`, names
programmes (Aidants Connect: formalities done for you), `courriels`, `itinerance` and data·inclusion
`typologie`: EPN → epn, FABLAB → fablab, TIERS_LIEUX → autre; a place with none of those stays an `epn`.
"""
import json
from urllib.parse import urlsplit

from tilios.places.taxonomy import read_labels

from . import FileError, MappedRow, RowError, read_text, text_rows
from .csv_mapping import add_offer, build, links_from

STANDARD = ["id", "nom", "adresse", "code_postal", "commune", "latitude", "longitude"]
BFC = ["bfc_id", "nom_structure", "adresse", "code_postal", "ville", "lat", "lon", "code_typo"]
BFC_TYPO = {"TL": ["autre"], "F": ["fablab"], "T": ["coworking"]}
TYPOLOGIES = {"EPN": "epn", "FABLAB": "fablab", "TIERS_LIEUX": "autre"}  # data·inclusion typologies
SOCIAL_HOSTS = {"facebook.com": "facebook", "twitter.com": "twitter", "x.com": "twitter",
                "linkedin.com": "linkedin", "instagram.com": "instagram"}


def _cells(row, *columns):
    """The cells of `columns` as one « ; »-separated list (version 1 of the standard separates with « | »)."""
    return ";".join((row.get(c) or "").replace("|", ";") for c in columns)


def _kinds_standard(row):
    typologies = {t.strip().upper() for t in _cells(row, "typologie").split(";")}
    kinds = [TYPOLOGIES[t] for t in sorted(typologies) if t in TYPOLOGIES] or ["epn"]
    source = (row.get("source") or "").strip().lower()
    labels = (row.get("labels_nationaux") or "").lower()
    if source == "france-tiers-lieux" or "tiers-lieu" in labels or "tiers lieu" in labels:
        kinds.append("autre")
    return kinds


def _link_kind(url):
    host = urlsplit(url).netloc.lower().removeprefix("www.").removeprefix("m.")
    return SOCIAL_HOSTS.get(host, "web")


def _offer(mapped, row):
    """Services, access and audiences from the standard's columns, of its first versions and of version 1;
    programmes (`dispositif_programmes_nationaux`) name a service only for some, the others are not an offer."""
    services, ways = read_labels("services", _cells(row, "services")), read_labels(
        "services", _cells(row, "modalites_accompagnement"))
    programmes = read_labels("services", _cells(row, "dispositif_programmes_nationaux"))[0]
    return add_offer(mapped, {
        "services": (services[0] + ways[0] + programmes, services[1] + ways[1]),
        "access": read_labels("access", _cells(row, "conditions_acces", "frais_a_charge")),
        "audiences": read_labels("audiences", _cells(row, "publics_accueillis", "publics_specifiquement_adresses",
                                                     "prise_en_charge_specifique"))})


def map_standard(line, row):
    values = {"name": row.get("nom"), "address": row.get("adresse"), "postcode": row.get("code_postal"),
              "town": row.get("commune"), "latitude": row.get("latitude"), "longitude": row.get("longitude"),
              "opening_hours": row.get("horaires")}
    if "telephone" in row:
        values["phone"] = row["telephone"]
    if "courriels" in row or "courriel" in row:  # version 1 may give several: the first is the contact
        values["email"] = (row.get("courriels") or row.get("courriel") or "").split("|")[0]
    if row.get("code_insee"):
        values["commune_code"] = row.get("code_insee")
    presentation = "\n\n".join(p.strip() for p in (row.get("presentation_resume"), row.get("presentation_detail"))
                               if p and p.strip())
    websites = (row.get("site_web") or "").replace("|", " ").split()
    links = links_from([*((_link_kind(url), url) for url in websites), ("other", row.get("prise_rdv")),
                        ("acceslibre", row.get("fiche_acces_libre"))])
    mapped = build(line, row.get("id"), _raw(row), values, _kinds_standard(row), links,
                   {"name": "nom", "id": "id", "commune_code": "code_insee"})
    if mapped.error:
        return mapped
    if presentation:
        mapped.fields["description"] = presentation[:20000]
    if (row.get("itinerance") or "").strip() == "Itinérant":
        mapped.fields["mobility"] = "itinerant"
    return _offer(mapped, row)


def map_bfc(line, row):
    values = {"name": row.get("nom_structure"), "address": row.get("adresse"), "postcode": row.get("code_postal"),
              "town": row.get("ville"), "latitude": row.get("lat"), "longitude": row.get("lon")}
    kinds = ["epn"]
    for code in (row.get("code_typo") or "").upper().replace(" ", "").split("-"):
        kinds += BFC_TYPO.get(code, [])
    links = links_from([("web", row.get("url_lieu"))])
    return build(line, row.get("bfc_id"), _raw(row), values, kinds, links,
                 {"name": "nom_structure", "id": "bfc_id", "latitude": "lat", "longitude": "lon"})


def _raw(row):
    return {k: v for k, v in row.items() if k is not None}


def _too_many(line, row):
    mapped = MappedRow(line=line, external_id="", raw=_raw(row))
    mapped.error = RowError("*", "plus de valeurs que de colonnes")
    return mapped


def read(path):
    text = read_text(path)
    if text.lstrip()[:1] in ("[", "{"):
        yield from _read_json(text)
        return
    first = text.split("\n", 1)[0]
    if "bfc_id" in first:
        required, mapper = BFC, map_bfc
    else:
        required, mapper = STANDARD, map_standard
    for line, row in text_rows(text, required):
        yield _too_many(line, row) if None in row else mapper(line, row)


def _read_json(text):
    """A JSON array of records of the national standard (or {"features"/"lieux": [...]}); line = index."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"JSON illisible ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}") from exc
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        raise FileError("JSON : une liste de lieux est attendue")
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            mapped = MappedRow(line=index, external_id="", raw={"value": item})
            mapped.error = RowError("*", "un objet est attendu", str(item)[:80])
            yield mapped
            continue
        row = {k: ("" if v is None else str(v) if not isinstance(v, (list, dict)) else
                   ";".join(map(str, v)) if isinstance(v, list) else json.dumps(v, ensure_ascii=False))
               for k, v in item.items()}
        if "latitude" not in row and isinstance(item.get("localisation"), dict):
            row["latitude"] = str(item["localisation"].get("latitude", ""))
            row["longitude"] = str(item["localisation"].get("longitude", ""))
        yield map_bfc(index, row) if "bfc_id" in row else map_standard(index, row)
