"""The one CSV writer of Tilios: every cell is made safe for spreadsheets before it is written.

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
