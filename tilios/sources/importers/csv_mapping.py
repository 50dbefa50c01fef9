"""Any CSV file, read through a declarative mapping (JSON or TOML) — and the mapping engine the other
readers (MedNum, fablabs.io, GeoJSON, OSM) share.

A mapping names, for each Tilios field, the column that holds it::

    id = "id"                      # column of the source's own identifier (else the line number);
                                   # a list of columns joins them with "|"
    id_normalise = false           # identity = lower-case, accent-free letters and digits of the id:
                                   # for sources whose ids are positions that get reused (then use the name)
    delimiter = ","                # optional, default ","
    encoding = "utf-8"             # optional, default "utf-8" (a BOM is accepted)
    kinds = ["fablab"]             # optional: kinds given to every row
    kinds_column = "structure"     # optional: a column whose values map to kinds…
    kinds_separator = ";"          # … possibly several per cell
    [kinds_values]                 # … value (lower case) -> kind codes; unknown values add nothing
    fablabMIT = ["fablab"]
    [fields]
    name = "name"                  # required
    address = "adresse"
    postcode = "cp"
    town = "ville"
    commune_code = "insee"
    latitude = "latitude"          # latitude and longitude go together
    longitude = "longitude"
    opening_hours = "horaires_osm"
    [links]                        # link kind -> column (several addresses may be space-separated)
    web = "web"
"""
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tilios.places import contact, hours

from . import FileError, MappedRow, RowError, csv_rows, url_or_blank
from .cget import in_france

TEXT_FIELDS = {"name": 200, "address": 300, "postcode": 10, "town": 200, "commune_code": 5, "opening_hours": 255}
KNOWN_FIELDS = set(TEXT_FIELDS) | {"latitude", "longitude", "phone", "email"}
PLACE_FIELD = {"commune_code": "declared_commune_code"}


@dataclass
class Mapping:
    fields: dict  # Tilios field -> column
    id: str | list | None = None
    id_normalise: bool = False
    links: dict = field(default_factory=dict)  # link kind -> column
    kinds: list = field(default_factory=list)
    kinds_column: str | None = None
    kinds_values: dict = field(default_factory=dict)
    kinds_separator: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"

    @classmethod
    def from_dict(cls, data, where="mapping"):
        if not isinstance(data, dict):
            raise FileError(f"{where} : un objet est attendu")
        data = {k: v for k, v in data.items() if not k.startswith("_")}  # "_comment" and the like
        allowed = {"fields", "id", "id_normalise", "links", "kinds", "kinds_column", "kinds_values", "kinds_separator",
                   "delimiter", "encoding"}
        unknown = set(data) - allowed
        if unknown:
            raise FileError(f"{where} : clés inconnues : {', '.join(sorted(unknown))}")
        fields = data.get("fields")
        if not isinstance(fields, dict) or not fields.get("name"):
            raise FileError(f"{where} : [fields] doit au moins nommer la colonne de « name »")
        bad = set(fields) - KNOWN_FIELDS
        if bad:
            raise FileError(f"{where} : champs inconnus : {', '.join(sorted(bad))} "
                            f"(champs possibles : {', '.join(sorted(KNOWN_FIELDS))})")
        if ("latitude" in fields) != ("longitude" in fields):
            raise FileError(f"{where} : latitude et longitude vont ensemble")
        mapping = cls(fields=dict(fields), **{k: v for k, v in data.items() if k != "fields"})
        if len(mapping.delimiter) != 1:
            raise FileError(f"{where} : le séparateur doit être un seul caractère")
        try:
            "".encode(mapping.encoding)
        except LookupError:
            raise FileError(f"{where} : encodage inconnu : {mapping.encoding}") from None
        mapping.kinds_values = {str(k).strip().lower(): list(v) for k, v in mapping.kinds_values.items()}
        return mapping

    def id_columns(self):
        return [] if not self.id else [self.id] if isinstance(self.id, str) else list(self.id)

    def external_id(self, row, line):
        if not self.id:
            return str(line)
        value = "|".join((row.get(c) or "").strip() for c in self.id_columns())
        return normalise(value) if self.id_normalise else value

    def columns(self):
        named = [*self.fields.values(), *self.links.values(), *self.id_columns(), self.kinds_column]
        return [c for c in dict.fromkeys(named) if c]


def normalise(value):
    """« L'Hôtel à Projets » -> "l-hotel-a-projets": an identity that survives case and accents."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in folded).split())


def load_mapping(path):
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(f"impossible de lire le mapping {path} : {exc.strerror}") from exc
    try:
        if path.suffix.lower() == ".toml":
            parsed = tomllib.loads(data.decode("utf-8"))
        else:
            parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise FileError(f"mapping {path.name} illisible : {exc}") from exc
    return Mapping.from_dict(parsed, where=f"mapping {path.name}")


def number(value, field_name, low, high):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        num = float(value)
    else:
        text = str(value if value is not None else "").strip().replace(",", ".")
        if not text:
            return None
        try:
            num = float(text)
        except ValueError:
            raise RowError(field_name, "nombre illisible", value) from None
    if num != num or not (low <= num <= high):  # NaN or out of range
        raise RowError(field_name, f"hors de l'intervalle [{low}, {high}]", value)
    return num


def coordinates(lat_value, lon_value, lat_name="latitude", lon_name="longitude"):
    """(lat, lon) checked: both or neither, numbers, in range, in France, not swapped."""
    lat = number(lat_value, lat_name, -90, 90)
    lon = number(lon_value, lon_name, -180, 180)
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise RowError(lat_name if lat is None else lon_name, "latitude et longitude vont ensemble",
                       f"{lat_value}, {lon_value}")
    if not in_france(lat, lon):
        if in_france(lon, lat):
            raise RowError(lat_name, "latitude et longitude semblent inversées", f"{lat}, {lon}")
        raise RowError(lat_name, "coordonnées hors de France", f"{lat}, {lon}")
    return lat, lon


def text(value):
    if value is None:
        return ""
    return " ".join(str(value).replace("<br />", ", ").replace("<br>", ", ").split())


def links_from(values):
    """[{"kind", "url"}] from (kind, cell) pairs; a cell may hold several space-separated addresses."""
    links, seen = [], set()
    for kind, cell in values:
        for part in text(cell).split():
            url = url_or_blank(part)
            if url and url not in seen:
                seen.add(url)
                links.append({"kind": kind, "url": url})
    return links


def opening_hours_fields(value):
    """Hours the OSM syntax parser accepts go to `opening_hours`; others are kept whole, as the source
    wrote them, in `opening_hours_unparsed`, which lists the place for review (`tilios review hours`)."""
    given = text(value)
    if hours.is_valid(given):
        return {"opening_hours": hours.check(given), "opening_hours_unparsed": ""}
    return {"opening_hours": "", "opening_hours_unparsed": given[:1000]}


def build(line, external_id, raw, values, kinds=(), links=(), field_names=None):
    """A MappedRow from canonical `values` (field -> source value); errors name the source column."""
    field_names = field_names or {}
    mapped = MappedRow(line=line, external_id=str(external_id if external_id is not None else "").strip(),
                       raw=raw)
    try:
        if not mapped.external_id:
            raise RowError(field_names.get("id", "id"), "identifiant manquant")
        name = text(values.get("name"))
        if not name:
            raise RowError(field_names.get("name", "name"), "nom manquant")
        lat, lon = coordinates(values.get("latitude"), values.get("longitude"),
                               field_names.get("latitude", "latitude"), field_names.get("longitude", "longitude"))
        fields = {}
        for key, size in TEXT_FIELDS.items():
            if key in values and key != "opening_hours":
                fields[PLACE_FIELD.get(key, key)] = text(values[key])[:size]
        if "opening_hours" in values:
            fields.update(opening_hours_fields(values["opening_hours"]))
        fields["name"] = name[:200]
        code = fields.get("declared_commune_code", "")
        if code and not (len(code) == 5 and code[:2].isalnum() and code[2:].isdigit()):
            raise RowError(field_names.get("commune_code", "commune_code"), "code INSEE illisible", code)
        fields.update(latitude=lat, longitude=lon, links=list(links)[:20])
        mapped.fields = fields
        mapped.kinds = list(dict.fromkeys(kinds))
    except RowError as exc:
        mapped.error = exc
        return mapped
    guessed = contact_cells(raw)
    return add_contact(mapped, values["phone"] if "phone" in values else guessed.get("phone"),
                       values["email"] if "email" in values else guessed.get("email"))


_PHONE_KEY = re.compile(r"(^|_)(tel|telephone|phone|t[eé]l[eé]phone)($|_)", re.I)
_MAIL_KEY = re.compile(r"(^|_)(e?mail|courriel|contact_email)($|_)", re.I)


def contact_cells(raw):
    """The phone and e-mail cells of a flat record, whatever the source calls them (« telephone », « tel »,
    « courriel », « contact_email »…), for readers and mappings that do not name them."""
    found = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            continue
        if "phone" not in found and _PHONE_KEY.search(key):
            found["phone"] = value
        elif "email" not in found and _MAIL_KEY.search(key):
            found["email"] = value
    return found


def _keep_unrecognised(mapped, unknown):
    kept = mapped.fields.setdefault("unrecognised", {})
    for name, values in unknown.items():
        kept[name] = kept.get(name, []) + values


def add_contact(mapped, phone, email):
    """Adds the place's phone and e-mail as places.contact reads them; what it cannot read waits for review."""
    if mapped.error:
        return mapped
    mapped.fields.pop("phone", None), mapped.fields.pop("email", None)
    fields, unknown = contact.from_source(phone, email)
    mapped.fields.update(fields)
    if unknown:
        _keep_unrecognised(mapped, unknown)
    return mapped


def add_offer(mapped, read, wheelchair="", prices=""):
    """Adds to a mapped row what the place offers: `read` maps a vocabulary of places.taxonomy (services,
    access, audiences) to (codes, values not understood); the values not understood are kept for review."""
    if mapped.error:
        return mapped
    unknown = {}
    for name, (codes, not_understood) in read.items():
        if codes:
            mapped.fields[name] = sorted(set(codes) | set(mapped.fields.get(name, [])))
        if not_understood:
            unknown[name] = unknown.get(name, []) + not_understood
    if unknown:
        _keep_unrecognised(mapped, unknown)
    if wheelchair:
        mapped.fields["wheelchair"] = wheelchair
    if prices:
        mapped.fields["prices"] = text(prices)[:500]
    return mapped


def map_row(line, row, mapping):
    raw = {k: v for k, v in row.items() if k is not None}
    if None in row:
        mapped = MappedRow(line=line, external_id="", raw=raw)
        mapped.error = RowError("*", "plus de valeurs que de colonnes")
        return mapped
    external_id = mapping.external_id(row, line)
    values = {key: row.get(column) for key, column in mapping.fields.items()}
    kinds = list(mapping.kinds)
    if mapping.kinds_column:
        cell = (row.get(mapping.kinds_column) or "").strip()
        parts = cell.split(mapping.kinds_separator) if mapping.kinds_separator else [cell]
        for part in parts:
            kinds += mapping.kinds_values.get(part.strip().lower(), [])
    links = links_from((kind, row.get(column)) for kind, column in mapping.links.items())
    names = {**mapping.fields, "id": "|".join(mapping.id_columns()) or "id"}
    return build(line, external_id, raw, values, kinds, links, names)


def read(path, mapping=None):
    if mapping is None:
        raise FileError("le format csv demande un mapping (--mapping FICHIER.toml|.json)")
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    for line, row in csv_rows(path, mapping.columns(), mapping.delimiter, mapping.encoding):
        yield map_row(line, row, mapping)
