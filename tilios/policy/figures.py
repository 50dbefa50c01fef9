"""Figures found in French prose: amounts in euros, counts of things, years and deadlines.

« 100 millions d'euros », « 100 M€ », « 13 millions de Français », « 20 000 euros », « 1,5 million »,
« quatre postes de travail », « d'ici 2022 », « à l'horizon 2007 » — each becomes a Figure with its
kind, value, unit and the span of text it came from, so a human can check and correct it.
Dates are never counts (« le 14 décembre 2017 » is the year 2017, not 14 of anything), ranges stay
ranges (« de 75 000 à 150 000 euros »), and deadlines said relatively (« dans les deux ans », « d'ici
la fin du quinquennat ») resolve against the announcement's date when it is known.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass

UNITS_WORDS = {
    "zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
}
SCALE_WORDS = {"cent": 100, "cents": 100, "mille": 1000}
MULTIPLIERS = {
    "milliard": 1e9, "milliards": 1e9, "md": 1e9, "mds": 1e9, "mrd": 1e9, "mrds": 1e9,
    "million": 1e6, "millions": 1e6, "m": 1e6, "mio": 1e6,
    "millier": 1e3, "milliers": 1e3, "mille": 1e3, "k": 1e3,
}
# Nouns counted in announcements, folded to a unit name.
COUNT_UNITS = [
    (r"tiers[- ]lieux?", "tiers-lieux"), (r"fabriques?(?: de territoires?)?", "fabriques"),
    (r"t[ée]l[ée]centres?", "télécentres"), (r"lieux?", "lieux"), (r"espaces?(?: de coworking)?", "espaces"),
    (r"fab ?labs?", "fablabs"), (r"coworkings?", "espaces"), (r"emplois?", "emplois"),
    (r"postes?(?: de travail)?", "postes de travail"), (r"projets?", "projets"), (r"centres?", "centres"),
    (r"personnes?", "personnes"), (r"fran[çc]ais", "personnes"), (r"habitants?", "personnes"),
    (r"t[ée]l[ée]travailleurs?", "télétravailleurs"), (r"[ée]tudiants?", "étudiants"),
    (r"conseillers?(?: num[ée]riques?)?", "conseillers numériques"), (r"communes?", "communes"),
    (r"territoires?", "territoires"), (r"structures?", "structures"), (r"acteurs?", "acteurs"),
    (r"laur[ée]ats?", "lauréats"), (r"labellisations?", "labellisations"), (r"points?", "points"),
    (r"minutes?", "minutes"), (r"km|kilom[èe]tres?", "km"),  # « à moins de 20 minutes d'un tiers-lieu »
]
UNITS = sorted({unit for _pattern, unit in COUNT_UNITS})
DEADLINE_CUES = r"(?:d['’]ici(?: à| a)?|à l['’]horizon|a l['’]horizon|horizon|avant|au plus tard en|fin|jusqu['’]en)"
MONTHS = ("janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|"
          "decembre")
# Presidential terms end in May of these years: « d'ici la fin du quinquennat » means the next one.
TERM_ENDS = [datetime.date(y, 5, 14) for y in (2002, 2007, 2012, 2017, 2022, 2027, 2032)]


@dataclass
class Figure:
    kind: str  # amount | count | year | deadline | percent
    value: float
    unit: str
    text: str
    start: int
    end: int
    high: float | None = None  # the upper end of a range (« de 75 000 à 150 000 euros »)

    def key(self):
        """What makes two figures « the same figure » across announcements."""
        value = plain(self.value) if self.high is None else f"{plain(self.value)}-{plain(self.high)}"
        return f"{self.kind}:{value}:{self.unit}"


def plain(value):
    return int(value) if float(value).is_integer() else round(value, 3)


_SPACES = "\u00a0\u202f\u2009 "
NUMBER = (r"(?<![\w,.])(\d{1,3}(?:[" + _SPACES + r".]\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?)(?![\w])")
_WORDS = "|".join(sorted(list(UNITS_WORDS) + list(SCALE_WORDS), key=len, reverse=True))
_TENS_ET = r"(?:vingt|trente|quarante|cinquante|soixante)[- ]et[- ](?:un|une|onze)"
_WORD_TOKEN = rf"(?:{_TENS_ET}|{_WORDS})"
WORD_NUMBER = rf"(?<!\w)({_WORD_TOKEN}(?:[- ]{_WORD_TOKEN})*)(?!\w)"
MULT = r"(?:\s*(milliards?|millions?|milliers?|mille|mds?|mrds?|mio|m|k)\b\.?)?"
EURO = r"(?:\s*(?:d['’]\s*)?(€|euros?|eur\b))?"
_number_re = re.compile(NUMBER + MULT + EURO, re.I)
_word_re = re.compile(WORD_NUMBER + MULT + EURO, re.I)
_percent_re = re.compile(NUMBER + r"\s*(?:%|pour ?cent)", re.I)
_deadline_re = re.compile(DEADLINE_CUES + r"\s+(?:l['’]an(?:née)?\s+)?((?:19|20)\d\d)\b", re.I)
_year_re = re.compile(r"(?<![\d,.\s])((?:19|20)\d\d)(?![\d,.])")
_date_re = re.compile(r"(?<!\w)(?:(1er|[0-3]?\d)\s+(?:" + MONTHS + r")|[0-3]?\d/[01]?\d/)(?:\s*((?:19|20)\d\d))?(?!\w)",
                      re.I)
_range_re = re.compile(r"(?<!\w)(?:de|entre)\s+" + NUMBER + MULT + r"\s*(?:€|euros?)?\s+(?:à|et)\s+" + NUMBER + MULT + EURO,
                       re.I)
_relative_re = re.compile(r"(?:dans les|dans un délai de|d['’]ici|sous|en)\s+(" + "|".join(
    ["un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", r"\d{1,2}"]) + r")\s+ans?\b", re.I)
_term_re = re.compile(r"(?:d['’]ici|avant)\s+la\s+fin\s+(?:du\s+quinquennat|du\s+mandat|de\s+la\s+mandature)", re.I)
_year_end_re = re.compile(r"(?:d['’]ici|avant)\s+la\s+fin\s+de\s+l['’]ann[ée]e\b", re.I)
_unit_after = re.compile(r"\s*(?:(?:de|d['’])\s*)?(?:nouve(?:aux|lles?)\s+|(?:\w+\s+){0,1})?(" +
                         "|".join(p for p, _u in COUNT_UNITS) + r")\b", re.I)


def _to_number(text):
    cleaned = "".join(c for c in text if c not in _SPACES)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", cleaned):  # 1.500.000: dots as thousand separators
        cleaned = cleaned.replace(".", "")
    return float(cleaned.replace(",", "."))


def _words_to_number(text):
    total, current = 0, 0
    for word in re.split(r"[- ]+", text.lower().strip()):
        if word in ("et", ""):
            continue
        if word in UNITS_WORDS:
            current += UNITS_WORDS[word]
        elif word in ("cent", "cents"):
            current = (current or 1) * 100
        elif word == "mille":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
    return total + current


def _unit(text, end):
    match = _unit_after.match(text, end)
    if not match:
        return None, end
    word = match.group(1)
    for pattern, unit in COUNT_UNITS:
        if re.fullmatch(pattern, word, re.I):
            return unit, match.end()
    return None, end


def _add_range(m, text, add, taken):
    """« de 75 000 à 150 000 euros », « entre 10 et 20 millions d'euros », « de 3 à 5 tiers-lieux »."""
    low, low_mult, high, high_mult, euro = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    if not euro and "m" in {(low_mult or "").lower(), (high_mult or "").lower()}:
        taken.append((m.start(), m.end()))  # « de 5 à 10 m » are metres: no figure at all
        return
    high_factor = MULTIPLIERS.get((high_mult or "").lower().rstrip("."), 1.0)
    low_factor = MULTIPLIERS.get(low_mult.lower().rstrip("."), 1.0) if low_mult else high_factor
    values = (_to_number(low) * low_factor, _to_number(high) * high_factor)
    end = m.end()
    tail = None if euro else re.match(r"\s*(?:de |d['’]\s*)(€|euros?)\b", text[end:], re.I)
    if euro or tail:
        kind, unit, end = "amount", "EUR", end + (tail.end() if tail else 0)
    else:
        kind = "count"
        unit, end = _unit(text, end)
        if not unit:
            return
    if values[0] < values[1]:
        add(kind, values[0], unit, m.start(), end, values[1])
    else:  # « ramène de 62 à 27 millions d'euros »: a change, two figures of one unit
        add(kind, values[0], unit, m.start(), m.end(2) if low_mult else m.end(1))
        add(kind, values[1], unit, m.start(3), end)


def _overlaps(span, taken):
    return any(span[0] < b and a < span[1] for a, b in taken)


def _relative_years(word):
    return int(word) if word.isdigit() else _words_to_number(word)


def _term_end(on):
    return next((end.year for end in TERM_ENDS if end > on), None)


def extract(text, on=None):
    """Every figure in `text`, in reading order. `on`, the date the text was published, resolves
    relative deadlines; without it they are left out rather than guessed."""
    text = unicodedata.normalize("NFC", text or "")
    found, taken = [], []

    def add(kind, value, unit, start, end, high=None):
        if not _overlaps((start, end), taken):
            taken.append((start, end))
            found.append(Figure(kind, value, unit, text[start:end], start, end, high))

    for m in _deadline_re.finditer(text):
        add("deadline", float(m.group(1)), "année", m.start(), m.end())
    if on is not None:
        for m in _relative_re.finditer(text):
            add("deadline", float(on.year + _relative_years(m.group(1).lower())), "année", m.start(), m.end())
        for m in _term_re.finditer(text):
            if _term_end(on):
                add("deadline", float(_term_end(on)), "année", m.start(), m.end())
        for m in _year_end_re.finditer(text):
            add("deadline", float(on.year), "année", m.start(), m.end())
    for m in _date_re.finditer(text):  # a day of a month is no count; its year stays a year
        if m.group(2):
            add("year", float(m.group(2)), "année", m.start(2), m.end(2))
        taken.append((m.start(), m.end()))
    for m in _range_re.finditer(text):
        _add_range(m, text, add, taken)
    for m in _percent_re.finditer(text):
        add("percent", _to_number(m.group(1)), "%", m.start(), m.end())
    for regex, is_word in ((_number_re, False), (_word_re, True)):
        for m in regex.finditer(text):
            raw, mult, euro = m.group(1), m.group(2), m.group(3)
            if is_word:
                base = _words_to_number(raw)
                if base is None or (base == 1 and not mult and not euro and raw.strip().lower() in ("un", "une")):
                    continue  # « un » is an article far more often than a count
            else:
                base = _to_number(raw)
                if not mult and not euro and re.fullmatch(r"(?:19|20)\d\d", raw) and _year_re.fullmatch(raw):
                    add("year", base, "année", m.start(1), m.end(1))
                    continue
            factor = 1.0
            if mult:
                key = mult.lower().rstrip(".")
                if key == "m" and not euro:
                    continue  # « 5 m » is metres
                factor = MULTIPLIERS.get(key, 1.0)
            value = base * factor
            end = m.end()
            if euro:
                add("amount", value, "EUR", m.start(), end)
                continue
            # « 100 millions d'euros » : the euro sign may follow the multiplier after « d' »
            tail = re.match(r"\s*(?:de |d['’]\s*)(€|euros?)\b", text[end:], re.I)
            if tail:
                add("amount", value, "EUR", m.start(), end + tail.end())
                continue
            unit, unit_end = _unit(text, end)
            if unit:
                add("count", value, unit, m.start(), unit_end)
            elif not is_word:
                add("count", value, "", m.start(), end)
    found.sort(key=lambda f: f.start)
    return found
