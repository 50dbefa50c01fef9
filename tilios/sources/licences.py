"""The open licences a source may be published under: what exports print, whether derived data must be
shared alike, and the licence a whole that mixes sources must carry. A source's licence is chosen from
this list, so a reuser can trust what it says; a database holding ODbL data is a derivative database that
must itself be offered under the ODbL, whatever the licences of the other sources in it."""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Licence:
    code: str
    name: str
    url: str
    share_alike: bool  # a derived database must be published under the same licence
    open: bool = True
    spdx: str = ""  # the identifier data packages use (SPDX / Open Definition), where there is one
    title: str = ""  # the licence's own full title, where it differs from the short name


LICENCES = {licence.code: licence for licence in (
    Licence("etalab-2.0", "Licence Ouverte 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", False,
            spdx="etalab-2.0", title="Licence Ouverte / Open Licence 2.0"),
    Licence("etalab-1.0", "Licence Ouverte 1.0",
            "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf", False,
            title="Licence Ouverte / Open Licence 1.0"),
    Licence("odbl-1.0", "ODbL 1.0", "https://opendatacommons.org/licenses/odbl/1-0/", True, spdx="ODbL-1.0",
            title="Open Data Commons Open Database License 1.0"),
    Licence("odc-by-1.0", "ODC-By 1.0", "https://opendatacommons.org/licenses/by/1-0/", False, spdx="ODC-By-1.0",
            title="Open Data Commons Attribution License 1.0"),
    Licence("pddl-1.0", "PDDL 1.0", "https://opendatacommons.org/licenses/pddl/1-0/", False, spdx="PDDL-1.0",
            title="Open Data Commons Public Domain Dedication and License 1.0"),
    Licence("cc0-1.0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", False, spdx="CC0-1.0",
            title="Creative Commons Zero 1.0"),
    Licence("cc-by-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/", False, spdx="CC-BY-4.0",
            title="Creative Commons Attribution 4.0"),
    Licence("cc-by-sa-4.0", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", True,
            spdx="CC-BY-SA-4.0", title="Creative Commons Attribution-ShareAlike 4.0"),
    Licence("cc-by-3.0-fr", "CC BY 3.0 FR", "https://creativecommons.org/licenses/by/3.0/fr/", False,
            spdx="CC-BY-3.0-FR", title="Creative Commons Attribution 3.0 France"),
    Licence("cc-by-sa-3.0-fr", "CC BY-SA 3.0 FR", "https://creativecommons.org/licenses/by-sa/3.0/fr/", True,
            spdx="CC-BY-SA-3.0-FR", title="Creative Commons Attribution-ShareAlike 3.0 France"),
    # Honest about a source whose publisher states no licence: shown as such, to check before reuse.
    Licence("non-precisee", "non précisée", "", False, open=False),
)}


def get(code):
    """The licence of that code; a ValidationError naming the field otherwise."""
    licence = LICENCES.get(code)
    if licence is None:
        raise ValidationError({"licence": _("licence inconnue : « %(code)s » (licences : %(known)s)")
                               % {"code": code, "known": ", ".join(LICENCES)}})
    return licence


def describe(source):
    """{id, title, path, share_alike} of a source's licence, as data packages name licences; a licence not
    in the list keeps the source's own words, and `share_alike` None says nobody knows."""
    licence = LICENCES.get(source.licence_code)
    if licence is None or not licence.open:
        return {"id": licence.code if licence else "inconnue", "title": source.licence or str(_("inconnue")),
                "path": source.licence_url, "share_alike": None}
    return {"id": licence.spdx or licence.code, "title": licence.title or licence.name, "path": licence.url,
            "share_alike": licence.share_alike}


def of_whole(licences):
    """The licence a whole made of these licences must carry: the share-alike one when there is one.

    Returns None when none is share-alike (each part keeps its own licence), and raises ValueError when
    two different share-alike licences meet, since no single licence can then honour both."""
    share_alike = {lic["id"]: lic for lic in licences if lic["share_alike"]}
    if len(share_alike) > 1:
        raise ValueError(" et ".join(sorted(share_alike)))
    return next(iter(share_alike.values()), None)
