"""Opening hours in the OpenStreetMap `opening_hours` syntax: checked, evaluated in the place's own time
zone with the French public holidays (`PH`), and put in words.

The parser is opening-hours-py (the Rust `opening-hours` crate). Its holiday calendar for FR holds the
eleven national holidays; regional ones (Alsace-Moselle, the abolition days of the overseas
départements) are not in it: a place closed on those says so with a date rule (`Dec 20 off`).
"""
import datetime
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from opening_hours import OpeningHours, ParserError, State

MAX_LENGTH = 255
EXAMPLE = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00; PH off"
DEFAULT_TIMEZONE = "Europe/Paris"
# Départements and collectivities outside the Europe/Paris zone (COG codes).
TIMEZONES = {
    "971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne", "974": "Indian/Reunion",
    "975": "America/Miquelon", "976": "Indian/Mayotte", "977": "America/St_Barthelemy", "978": "America/Marigot",
    "986": "Pacific/Wallis", "987": "Pacific/Tahiti", "988": "Pacific/Noumea",
}
# How far ahead « ouvre … » looks for the next opening: beyond, a place is just « fermé ».
HORIZON = datetime.timedelta(days=366)


class HoursError(ValueError):
    """A text that is not in the opening_hours syntax; the message says where and shows an example."""


def check(text):
    """`text` stripped, or HoursError naming the position the parser stopped at."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    if len(text) > MAX_LENGTH:
        raise HoursError(f"{MAX_LENGTH} caractères au plus")
    try:
        _schedule(text, DEFAULT_TIMEZONE)
    except ParserError as exc:
        found = re.search(r"--> \d+:(\d+)", str(exc))
        where = int(found.group(1)) if found else 1
        raise HoursError(f"syntaxe OpenStreetMap non reconnue à partir du caractère {where} "
                         f"(« {text[where - 1:where + 14]} ») ; exemple : « {EXAMPLE} »") from None
    return text


def is_valid(text):
    try:
        check(text)
    except HoursError:
        return False
    return True


def timezone_name(departement_code, postcode=""):
    """The place's time zone: from its département, else its postcode (971…988), else Paris."""
    code = departement_code or ""
    if code not in TIMEZONES and postcode[:2] in ("97", "98"):
        code = postcode[:3]
    return TIMEZONES.get(code, DEFAULT_TIMEZONE)


def place_timezone(place):
    return timezone_name(place.departement_id, place.postcode or "")


@lru_cache(maxsize=4096)
def _schedule(text, tz_name):
    # Many places share the same hours: a parsed expression is kept per (text, zone).
    return OpeningHours(text, timezone=ZoneInfo(tz_name), country="FR", auto_country=False, auto_timezone=False)


@lru_cache(maxsize=1)
def _holidays():
    return OpeningHours("PH", country="FR", auto_country=False, auto_timezone=False)


def open_among(rows, at):
    """The ids of the (id, opening_hours, departement code, postcode) rows open at `at`: an aware datetime
    is an instant, a naive one the same wall-clock time wherever each place is. Hours the parser refuses
    (kept from before they were checked) never count as open."""
    found, local, answers = set(), {}, {}
    for place_id, text, departement_code, postcode in rows:
        tz_name = timezone_name(departement_code, postcode or "")
        key = (text, tz_name)
        if key not in answers:  # places share hours: each (hours, zone) is evaluated once
            if tz_name not in local:  # the parser takes naive times, or aware ones in a ZoneInfo
                local[tz_name] = at if at.tzinfo is None else at.astimezone(ZoneInfo(tz_name))
            try:
                answers[key] = _schedule(text, tz_name).is_open(local[tz_name])
            except ParserError:
                answers[key] = False
        if answers[key]:
            found.add(place_id)
    return found


def is_holiday(day):
    return _holidays().is_open(datetime.datetime.combine(day, datetime.time(12)))


def clock(moment):
    if moment.minute:
        return _("%(hour)s h %(minute)s") % {"hour": moment.hour, "minute": f"{moment.minute:02d}"}
    return _("%(hour)s h") % {"hour": moment.hour, "minute": "00"}


def _when(moment, today):
    """« à 18 h », « demain à 9 h », « lundi à 9 h », « le 5 janvier à 9 h »."""
    days = (moment.date() - today).days
    time = clock(moment)
    if days == 0:
        return _("à %(time)s") % {"time": time}
    if days == 1:
        return _("demain à %(time)s") % {"time": time}
    if days < 7:
        return _("%(day)s à %(time)s") % {"day": WEEKDAYS[moment.weekday()], "time": time}
    return _("le %(date)s à %(time)s") % {"date": formats.date_format(moment, "j F"), "time": time}


@dataclass
class Status:
    state: str  # "open", "closed" or "unknown"
    text: str  # « Ouvert maintenant · ferme à 18 h »
    next_change: datetime.datetime | None
    comment: str


def status(text, tz_name, at):
    """The state at `at` in the place's zone and when it next opens or closes, in words."""
    tz = ZoneInfo(tz_name)
    at = at.astimezone(tz)
    schedule = _schedule(text, tz_name)
    state, comment = schedule.state(at)
    today = at.date()
    if state == State.OPEN:
        closes = next((start for start, _end, s, _c in schedule.intervals(at, at + HORIZON) if s != State.OPEN), None)
        line = _("Ouvert maintenant · ferme %(when)s") % {"when": _when(closes, today)} if closes else _(
            "Ouvert maintenant")
        key, change = "open", closes
    else:
        opens = next((start for start, _end, s, _c in schedule.intervals(at, at + HORIZON) if s == State.OPEN), None)
        if state == State.UNKNOWN:
            line, key = _("Ouverture incertaine"), "unknown"
        else:
            line, key = _("Fermé"), "closed"
        if opens:
            line = _("%(state)s · ouvre %(when)s") % {"state": line, "when": _when(opens, today)}
        change = opens
    if comment:
        line += f" ({comment})"
    return Status(key, line, change, comment)


@dataclass
class Day:
    date: datetime.date
    name: str
    holiday: bool
    spans: list  # [(from, to, state, comment)] as words: « 9 h », « 18 h »
    is_today: bool

    @property
    def text(self):
        if not self.spans:
            return _("fermé")
        parts = []
        for start, end, state, comment in self.spans:
            part = _("toute la journée") if (start, end) == ("", "") else f"{start} – {end}"
            if state == "unknown":
                part += " " + _("(incertain)")
            if comment:
                part += f" ({comment})"
            parts.append(part)
        return ", ".join(parts)


def week(text, tz_name, at):
    """The next seven days from `at`'s day, listed Monday first: each day's open (or uncertain) spans.

    A span past midnight that ends before noon stays on the day it started (« ven. 22 h – 2 h »)."""
    tz = ZoneInfo(tz_name)
    today = at.astimezone(tz).date()
    midnight = [datetime.datetime.combine(today + datetime.timedelta(days=n), datetime.time(0), tzinfo=tz)
                for n in range(8)]
    spans = {n: [] for n in range(7)}
    for start, end, state, comment in _schedule(text, tz_name).intervals(midnight[0], midnight[7]):
        if state == State.CLOSED:
            continue
        n = (start.date() - today).days
        while n < 7 and start < end:
            next_midnight = midnight[n + 1]
            if end <= next_midnight or (end - next_midnight <= datetime.timedelta(hours=12)
                                        and start > midnight[n]):
                piece_end = end
            else:
                piece_end = next_midnight
            whole = start == midnight[n] and piece_end == next_midnight
            key = "open" if state == State.OPEN else "unknown"
            spans[n].append(("", "", key, comment) if whole else
                            (clock(start), _("24 h") if piece_end == next_midnight else clock(piece_end), key,
                             comment))
            start, n = piece_end, n + 1
    days = [Day(today + datetime.timedelta(days=n), str(WEEKDAYS[(today + datetime.timedelta(days=n)).weekday()]),
                is_holiday(today + datetime.timedelta(days=n)), spans[n], n == 0) for n in range(7)]
    return sorted(days, key=lambda d: d.date.weekday())
