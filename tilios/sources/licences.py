"""What each source licence lets a reuser do, and the licence of a whole that mixes sources.

A source records its licence as free text (« ODbL 1.0 »); exports need the Open Definition id, the
text's address and whether it is share-alike: a database holding ODbL data is a derivative database
that must itself be offered under the ODbL, whatever the licences of the other sources in it."""
import re

_KNOWN = [
    # (id, title, address, share-alike, the ways sources spell it, compared without case or punctuation)
    ("etalab-2.0", "Licence Ouverte / Open Licence 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
     False, ("licence ouverte 2.0", "licence ouverte", "open licence 2.0", "etalab 2.0")),
    ("ODbL-1.0", "Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/",
     True, ("odbl 1.0", "odbl")),
    ("CC-BY-4.0", "Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/",
     False, ("cc by 4.0", "cc-by 4.0")),
    ("CC-BY-SA-4.0", "Creative Commons Attribution-ShareAlike 4.0",
     "https://creativecommons.org/licenses/by-sa/4.0/", True, ("cc by-sa 4.0", "cc by sa 4.0")),
    ("CC0-1.0", "Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", False,
     ("cc0", "cc0 1.0")),
]


def _key(text):
    return re.sub(r"[^a-z0-9.]+", "", text.casefold())


_BY_SPELLING = {_key(spelling): entry for entry in _KNOWN for spelling in entry[4]}


def describe(source):
    """{id, title, path, share_alike} of a source's licence; an unknown licence keeps its own words,
    and `share_alike` None says nobody knows."""
    known = _BY_SPELLING.get(_key(source.licence))
    if known:
        return {"id": known[0], "title": known[1], "path": known[2], "share_alike": known[3]}
    return {"id": re.sub(r"[^a-z0-9]+", "-", source.licence.casefold()).strip("-") or "inconnue",
            "title": source.licence, "path": source.licence_url, "share_alike": None}


def of_whole(licences):
    """The licence a whole made of these licences must carry: the share-alike one when there is one.

    Returns None when none is share-alike (each part keeps its own licence), and raises ValueError when
    two different share-alike licences meet, since no single licence can then honour both."""
    share_alike = {lic["id"]: lic for lic in licences if lic["share_alike"]}
    if len(share_alike) > 1:
        raise ValueError(" et ".join(sorted(share_alike)))
    return next(iter(share_alike.values()), None)
