"""Readers that turn a source file into mapped rows; `tilios.sources.services` does the rest."""
from dataclasses import dataclass, field
from pathlib import Path

from tilios import csvsafe
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


def read_text(path, encoding="utf-8"):
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FileError(f"impossible de lire {path} : {exc.strerror}") from exc
    try:
        return csvsafe.decode(data, encoding)
    except csvsafe.Undecodable as exc:
        raise FileError(f"{path} n'est pas en {exc.encoding} : octet 0x{exc.byte:02x} illisible à la ligne "
                        f"{exc.line}") from exc


def csv_rows(path, required, delimiter=",", encoding="utf-8"):
    """(line, row) for each data row of a CSV file; FileError when columns are missing or a row is unreadable."""
    yield from text_rows(read_text(path, encoding), required, delimiter)


def text_rows(text, required, delimiter=","):
    """`csv_rows` of a file's text already read."""
    try:
        yield from csvsafe.rows(text, required, delimiter)
    except csvsafe.MissingColumns as exc:
        hint = f" (le séparateur attendu est « {delimiter} »)" if exc.separator_hint else ""
        raise FileError(f"colonnes manquantes : {', '.join(exc.missing)}{hint}") from exc
    except csvsafe.Unreadable as exc:
        raise FileError(f"CSV illisible ligne {exc.line} : {exc.reason}") from exc


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
