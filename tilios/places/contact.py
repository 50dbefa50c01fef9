"""A place's phone and e-mail: read from what people and sources write, kept in one form, shown for people;
and the contact form's relay.

Phones are stored in E.164 (« +33477123456 ») so that two sources writing « 04.77.12.34.56 » and
« +33 4 77 12 34 56 » say the same thing; they are read with libphonenumber's rules (the `phonenumbers`
port), as dialled in France: a national number of an overseas département (« 0262 … », « 0690 … ») is
valid only for its own region, hence the list of regions tried in turn. A cell holding several numbers
gives its first valid one. E-mail addresses are checked by Django's validator, their domain lower-cased.
"""
import logging
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Metropolitan France, then the overseas regions with their own numbering plan in libphonenumber.
REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
PHONE_MAX = 40
EMAIL_MAX = 254
_SEPARATORS = re.compile(r"\s*(?:/|;|,|\bou\b|\bor\b|\|)\s*", re.I)


class ContactError(ValueError):
    """A phone or e-mail that cannot be read; its message says why, in French."""


# A number of metropolitan France as usually written (« 04 77 12 34 56 », « 04.77.12.34.56 », « +33 4 77 12
# 34 56 », « +33477123456 »): most of what sources hold, read without libphonenumber's parser when valid (an
# import reads each row twice, and validates the E.164 form it read).
_FRENCH = re.compile(r"(?:0|\+33 ?)[1-9](?:[ .-]?[0-9]{2}){4}")


def _parse(text):
    if _FRENCH.fullmatch(text):
        # What parsing as dialled in France gives: the trunk 0 or the +33 dropped, country code 33.
        digits = re.sub("[^0-9]", "", text)
        number = phonenumbers.PhoneNumber(country_code=33, national_number=int(digits[-9:]))
        if phonenumbers.is_valid_number(number):
            return number
    return _parse_dialled(text)


def _parse_dialled(text):
    for region in REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number
    return None


def phone(value):
    """The E.164 form of the first valid number written in `value`; "" for an empty value."""
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    if len(text) > 200:
        raise ContactError("numéro de téléphone trop long")
    for part in _SEPARATORS.split(text):
        number = _parse(part) if part else None
        if number is not None:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ContactError(f"numéro de téléphone illisible : {text[:60]}")


def email(value):
    """The address with its domain lower-cased; "" for an empty value."""
    text = str(value or "").strip().removeprefix("mailto:")
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise ContactError(f"adresse de courriel invalide : {text[:80]}") from None
    if len(text) > EMAIL_MAX:
        raise ContactError(f"adresse de courriel trop longue ({EMAIL_MAX} caractères au plus)")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def shown_phone(e164):
    """How a person reads the number: national form for French numbers (overseas included), else
    international; with the `tel:` address phones dial."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return {"text": e164, "tel": ""}
    french = phonenumbers.region_code_for_number(number) in REGIONS
    style = phonenumbers.PhoneNumberFormat.NATIONAL if french else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return {"text": phonenumbers.format_number(number, style),
            "tel": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)}


def masked_email(address):
    """« c•••@lieu.fr »: enough for a reviewer to see whether two sources agree, nothing to harvest."""
    if "@" not in (address or ""):
        return "•••"
    local, domain = address.rsplit("@", 1)
    return f"{local[:1]}•••@{domain}"


def public_value(name, value):
    """A revisioned value as history, comparisons and the API show it to anyone: the e-mail address masked
    (the place page gives it on request only, so the history must not give it away)."""
    return masked_email(value) if name == "email" and value else value


def from_source(raw_phone, raw_email):
    """(fields, not understood) for what a source wrote: values that cannot be read are kept, as given,
    for review (`unrecognised`), never dropped."""
    fields, unknown = {}, {}
    for name, read, given in (("phone", phone, raw_phone), ("email", email, raw_email)):
        given = " ".join(str(given or "").split())
        if not given:
            continue
        try:
            fields[name] = read(given)
        except ContactError:
            unknown[name] = [given[:200]]
    return fields, unknown


def recipients(place):
    """Who the contact form writes to: the place's managers on Tilios (they answer for it), else the
    place's own address; none, and the place has no form."""
    managers = sorted({m.user.email for m in place.managers.select_related("user")
                       if m.user.is_active and m.user.email})
    return managers or ([place.email] if place.email else [])


def relay(place, name, sender, message, page_url):
    """Sends a visitor's message to the place; how many addresses it went to. Raises OSError-like
    exceptions of the mail backend: nothing is stored, so the visitor must learn it was not sent."""
    to = recipients(place)
    if not to:
        return 0
    name = " ".join(name.split())[:100]
    subject = _("Tilios : message pour « %(place)s »") % {"place": " ".join(place.name.split())}
    body = "\n".join([
        _("%(name)s vous écrit depuis la fiche de votre lieu sur Tilios (%(url)s) :") % {"name": name,
                                                                                     "url": page_url},
        "", message.strip(), "",
        "-- ",
        _("Répondez à ce courriel pour écrire à %(name)s : Tilios ne garde ni ce message ni son adresse.")
        % {"name": name},
    ])
    EmailMessage(subject, body, None, to, reply_to=[sender]).send()
    log.info("contact message for place %s relayed to %d address(es)", place.public_id, len(to))
    return len(to)
