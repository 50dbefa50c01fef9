"""The open licences a source may be published under: what exports print, and whether derived data must be
shared alike. A source's licence is chosen from this list, so a reuser can trust what it says."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Licence:
    code: str
    name: str
    url: str
    share_alike: bool  # a derived database must be published under the same licence
    open: bool = True


LICENCES = {licence.code: licence for licence in (
    Licence("etalab-2.0", "Licence Ouverte 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", False),
    Licence("etalab-1.0", "Licence Ouverte 1.0",
            "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf", False),
    Licence("odbl-1.0", "ODbL 1.0", "https://opendatacommons.org/licenses/odbl/1-0/", True),
    Licence("odc-by-1.0", "ODC-By 1.0", "https://opendatacommons.org/licenses/by/1-0/", False),
    Licence("pddl-1.0", "PDDL 1.0", "https://opendatacommons.org/licenses/pddl/1-0/", False),
    Licence("cc0-1.0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", False),
    Licence("cc-by-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/", False),
    Licence("cc-by-sa-4.0", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", True),
    Licence("cc-by-3.0-fr", "CC BY 3.0 FR", "https://creativecommons.org/licenses/by/3.0/fr/", False),
    Licence("cc-by-sa-3.0-fr", "CC BY-SA 3.0 FR", "https://creativecommons.org/licenses/by-sa/3.0/fr/", True),
    # Honest about a source whose publisher states no licence: shown as such, to check before reuse.
    Licence("non-precisee", "non précisée", "", False, open=False),
)}


def get(code):
    """The licence of that code; a ValidationError naming the field otherwise."""
    from django.core.exceptions import ValidationError

    licence = LICENCES.get(code)
    if licence is None:
        raise ValidationError({"licence": _("licence inconnue : « %(code)s » (licences : %(known)s)")
                               % {"code": code, "known": ", ".join(LICENCES)}})
    return licence
