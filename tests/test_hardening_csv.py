"""Spreadsheet formula injection (issue #12 item 6): no CSV Tilios writes may start a cell with a formula.

A place named « =HYPERLINK("http://evil","x") » must come out as « '=HYPERLINK(…) » in `tilios export
--format csv` and in a programme's evaluation CSV (web page and `tilios evaluate`); numbers stay numbers.
"""
import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from tilios import csvsafe
from tilios.places.models import Place
from tilios.policy.models import Programme

EVIL = '=HYPERLINK("http://evil","x")'
NAMES = [EVIL, "+33 1 23 45 67 89", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
         "\t=1+1", "\r=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SLUG = "programme-piege-csv"


@pytest.fixture
def evil_places(db):
    places = [Place.objects.create(name=name, town=name, latitude=-21.115, longitude=55.536) for name in NAMES]
    programme = Programme.objects.create(slug=SLUG, name="Programme piégé", kind=Programme.Kind.CALL)
    programme.places.add(*places)
    return places


def cells(text):
    return [value for row in csv.reader(io.StringIO(text, newline="")) for value in row]


def assert_escaped(text, columns=("name",)):
    assert "'=HYPERLINK" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for name in NAMES:
        row = next(r for r in rows if r["name"].lstrip("'") == name)
        for column in columns:
            assert row[column] == "'" + name, (column, row[column])
    assert not any(c.startswith("=") for c in cells(text))
    assert not any(c.startswith(("+", "@", "\t", "\r")) for c in cells(text))
    return rows


def test_export_csv_escapes_formulas(tmp_path, evil_places):
    out = tmp_path / "lieux.csv"
    call_command("export", str(out), "--format", "csv", stderr=io.StringIO())
    text = out.read_bytes().decode("utf-8")  # not read_text: a quoted \r must stay a \r
    rows = assert_escaped(text, ("name", "declared_town"))
    assert len(rows) == Place.objects.filter(is_published=True, merged_into=None).count()
    evil = next(r for r in rows if r["name"] == "'" + EVIL)
    assert evil["latitude"] == "-21.115" and evil["longitude"] == "55.536"  # a negative number is not text
    # Only numbers may begin with « - ».
    for value in cells(text):
        if value.startswith("-"):
            float(value)


def test_evaluation_csv_escapes_formulas_on_the_web(client, evil_places):
    response = client.get(f"/politiques/programmes/{SLUG}/evaluation/", {"on": "2025-12-31", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = assert_escaped(response.content.decode(), ("name", "commune"))
    assert len(rows) == len(NAMES)


def test_evaluation_csv_escapes_formulas_in_the_cli(evil_places):
    out = io.StringIO()
    call_command("evaluate", "--programme", SLUG, "--on", "2025-12-31", "--format", "csv", stdout=out)
    assert len(assert_escaped(out.getvalue(), ("name", "commune"))) == len(NAMES)


# --- the shared writer ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", NAMES + ["-", "=", "@", "+"])
def test_cell_escapes_formula_starts(value):
    assert csvsafe.cell(value) == "'" + value


@pytest.mark.parametrize("value", ["La Cordée", "", " =1", "a=b", "http://x", "'=déjà", "2025-12-31", "1 + 1"])
def test_cell_leaves_plain_text_alone(value):
    assert csvsafe.cell(value) == value


@pytest.mark.parametrize("value", [-3, -2.5, Decimal("-12.50"), 0, 7, 3.25, True, False, None])
def test_cell_leaves_numbers_and_none_alone(value):
    assert csvsafe.cell(value) is value


def test_cell_escapes_objects_by_their_text():
    class Lazy:
        def __str__(self):
            return "=1+1"

    assert csvsafe.cell(Lazy()) == "'=1+1"
    assert csvsafe.cell(datetime.date(2025, 1, 2)) == datetime.date(2025, 1, 2)


def test_writers_escape_every_cell():
    out = io.StringIO()
    w = csvsafe.writer(out, lineterminator="\n")
    w.writerow(["=a", -1, "b"])
    w.writerows([["+c", Decimal("-2.5")], ["@d", None]])
    assert out.getvalue() == "'=a,-1,b\n'+c,-2.5\n'@d,\n"
    out = io.StringIO()
    d = csvsafe.dict_writer(out, ["name", "n"], lineterminator="\n", extrasaction="ignore")
    d.writeheader()
    d.writerow({"name": EVIL, "n": -4, "extra": "=x"})
    d.writerows([{"name": "-x"}, {"name": "ok", "n": 0}])
    assert out.getvalue().splitlines() == ["name,n", "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-4", "'-x,",
                                           "ok,0"]



def test_carriage_returns_are_quoted_whatever_the_line_terminator():
    # csv.writer(lineterminator="\n") alone leaves « a\rb » bare: a reader would start a new row there.
    out = io.StringIO()
    csvsafe.writer(out, lineterminator="\n").writerows([["a\rb", "c\nd", "\r=1+1"], ["e", 1]])
    assert out.getvalue() == '"a\rb","c\nd","\'\r=1+1"\ne,1\n'
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [["a\rb", "c\nd", "'\r=1+1"], ["e", "1"]]
    crlf = io.StringIO()
    csvsafe.writer(crlf).writerow(["x", -1])
    assert crlf.getvalue() == "x,-1\r\n"


def test_no_csv_is_written_around_the_shared_writer():
    """One writer: any other module calling csv.writer / csv.DictWriter would bypass the escaping."""
    root = Path(csvsafe.__file__).parent
    direct = re.compile(r"\bcsv\.(writer|DictWriter)\b")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "csvsafe.py" and direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_one_reader_guesses_the_separator_and_names_lines():
    text = "place ; month;regular_users\nA;2025-01;3\n\nB;2025-02;" + "4" * 2_000 + "\n"
    limit = csv.field_size_limit(1_000)  # the process-wide limit, which other code may have raised
    try:
        with pytest.raises(csvsafe.Unreadable) as unreadable:
            list(csvsafe.rows(text, ("place", ("period_start", "month")), strip=True))
    finally:
        csv.field_size_limit(limit)
    assert unreadable.value.line == 4 and "field limit" in str(unreadable.value.reason)
    assert list(csvsafe.rows("place;month\nA;2025-01\n\nB;2025-02\n", ("place",))) == [
        (2, {"place": "A", "month": "2025-01"}), (4, {"place": "B", "month": "2025-02"})]
    with pytest.raises(csvsafe.MissingColumns) as missing:
        list(csvsafe.rows("place;regular_users\nA;1\n", ("place", ("period_start", "month")), delimiter=","))
    assert missing.value.missing == ["place", "period_start"] and missing.value.separator_hint == ";"


def test_undecodable_bytes_name_their_line():
    with pytest.raises(csvsafe.Undecodable) as bad:
        csvsafe.decode("nom\nCafé\n".encode("latin-1"))
    assert (bad.value.line, bad.value.byte) == (2, 0xE9)
    assert csvsafe.decode("\ufeffnom\n".encode("utf-8")) == "nom\n"
