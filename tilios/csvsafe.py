"""The CSV files of Tilios, out and in: the one writer, whose cells are made safe for spreadsheets, and the
one reader (`decode`, `rows`) of every file people bring (sources, activity reports).

A spreadsheet opening a CSV runs a cell beginning with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula, so a place named « =HYPERLINK("http://evil","x") » would become a live link,
or worse, on a reuser's machine. Following the OWASP rule on CSV injection, such a text cell is written
with a leading single quote (`'=HYPERLINK(…)`), which spreadsheets show as text. Numbers (int, float,
Decimal) are left alone, so a negative number stays a number. Every CSV Tilios writes (exports,
evaluations, census, policy) goes through `writer` or `dict_writer`; do not call `csv.writer` directly.
"""
import csv
import io
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = (int, float, Decimal)  # bool is an int: written True / False, never a formula


class Plain(str):
    """A text its writer checked to be only a number for a spreadsheet although it starts like a formula (an
    E.164 phone number « +33… », which a data standard wants as it is): written without the quote."""


def cell(value):
    """`value`, or its text behind a single quote when a spreadsheet would read it as a formula."""
    if value is None or isinstance(value, NUMBERS):
        return value
    if isinstance(value, Plain):
        return str(value)
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else value


class SafeWriter:
    """A `csv.writer` whose rows are escaped cell by cell.

    A cell holding a carriage return or a newline is always quoted, whatever the line terminator: with
    `lineterminator="\\n"` the csv module leaves a bare `\\r` unquoted, which readers take for the end of
    the row, so « \\r=1+1 » would start a new row with a formula. Each row is therefore written with the
    RFC 4180 terminator `\\r\\n` (so both characters force quotes) and given the requested one after.
    """

    def __init__(self, file, dialect="excel", **kw):
        self._file = file
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, dialect, **{**kw, "lineterminator": "\r\n"})
        self.dialect = csv.writer(io.StringIO(), dialect, **kw).dialect

    def writerow(self, row):
        self._writer.writerow([cell(v) for v in row])
        line = self._buffer.getvalue()[:-2] + self.dialect.lineterminator
        self._buffer.seek(0)
        self._buffer.truncate()
        return self._file.write(line)

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """A `csv.DictWriter` whose rows (and header) go through a `SafeWriter`."""

    def __init__(self, file, fieldnames, **kw):
        super().__init__(file, fieldnames, **kw)
        self.writer = SafeWriter(file, **{k: v for k, v in kw.items() if k not in ("restval", "extrasaction")})


def writer(file, **kw):
    return SafeWriter(file, **kw)


def dict_writer(file, fieldnames, **kw):
    return SafeDictWriter(file, fieldnames, **kw)


# --- Reading -----------------------------------------------------------------------------------------

class Undecodable(ValueError):
    """Bytes not in the expected encoding: where the first bad byte is, for a message that names its line."""

    def __init__(self, encoding, line, byte, offset):
        super().__init__(f"not {encoding} at line {line}")
        self.encoding, self.line, self.byte, self.offset = encoding, line, byte, offset


class MissingColumns(ValueError):
    def __init__(self, missing, separator_hint=None):
        super().__init__(", ".join(missing))
        self.missing = missing
        self.separator_hint = separator_hint  # the separator the header seems to use instead, if any


class Unreadable(ValueError):
    """A row the csv module cannot parse (a quote left open…), at `line`."""

    def __init__(self, line, reason):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def decode(data, encoding="utf-8"):
    """The text of `data` (a UTF-8 byte order mark dropped); Undecodable when a byte does not fit."""
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise Undecodable(encoding.upper(), data[:exc.start].count(b"\n") + 1, data[exc.start], exc.start) from exc


def rows(text, required=(), delimiter=None, strip=False):
    """(line, row) for each data row of a CSV text, blank lines skipped; `line` is the file's line where the
    row ends. Without `delimiter` it is guessed among comma, semicolon and tab. `required` names columns, or
    tuples of columns of which one is enough; MissingColumns before any row when one lacks. `strip` trims
    column names and cells."""
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames or []
    if strip:
        header = reader.fieldnames = [name.strip() for name in header]
    missing = [c if isinstance(c, str) else c[0] for c in required
               if (c not in header if isinstance(c, str) else not any(one in header for one in c))]
    if missing:
        others = [sep for sep in ",;\t|" if sep != delimiter]
        hint = next((sep for sep in others if len(header) == 1 and sep in header[0]), None)
        raise MissingColumns(missing, hint)
    try:
        for row in reader:
            if not any((v or "").strip() for k, v in row.items() if k is not None) and None not in row:
                continue  # a blank line
            if strip:
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            yield reader.line_num, row
    except csv.Error as exc:  # raised while parsing a line the reader has not counted yet
        raise Unreadable(reader.line_num + 1, exc) from exc
