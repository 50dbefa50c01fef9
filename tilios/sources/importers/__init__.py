"""Readers that turn a source file into mapped rows; `tilios.sources.services` does the rest."""
from dataclasses import dataclass, field

from tilios.places.editing import is_web_url


class FileError(Exception):
    """The file as a whole cannot be read: nothing of it is imported."""


class RowError(Exception):
    def __init__(self, field_name, reason, value=""):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason
        self.value = value


@dataclass
class MappedRow:
    line: int
    external_id: str
    raw: dict
    fields: dict = field(default_factory=dict)  # Place field -> value
    kinds: list = field(default_factory=list)  # Kind codes
    error: RowError | None = None


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise FileError(f"impossible de lire {path} : {exc.strerror}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileError(f"{path} n'est pas en UTF-8 : octet 0x{data[exc.start]:02x} illisible à la ligne {line}"
                        ) from exc


def parse_float(row, column, field_name, low, high):
    value = (row.get(column) or "").strip().replace(",", ".")
    if not value:
        raise RowError(field_name, "valeur manquante", value)
    try:
        number = float(value)
    except ValueError:
        raise RowError(field_name, "nombre illisible", value) from None
    if not (low <= number <= high):
        raise RowError(field_name, f"hors de l'intervalle [{low}, {high}]", value)
    return number


def url_or_blank(value):
    """A web address from a source cell, or "" when the cell holds none that could be followed."""
    value = (value or "").strip()
    if not value:
        return ""
    if value.startswith("@"):
        value = "https://twitter.com/" + value[1:]
    elif "://" not in value:
        value = "https://" + value
    return value if is_web_url(value) else ""
