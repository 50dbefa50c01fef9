"""Show a field's value, or why two records were paired, as a person reads it."""
from django import template

from tilios.places import contact
from tilios.sources.presenters import shown_reason

register = template.Library()


@register.filter
def field_value(value, name=""):
    if value in (None, "", [], {}):
        return "—"
    if name == "location" and isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{value[0]:.5f}, {value[1]:.5f}"
    if name == "email":  # the provenance page is public: the address is only ever shown on request
        return contact.masked_email(str(value))
    if name == "phone":
        return (contact.shown_phone(str(value)) or {"text": str(value)})["text"]
    if name == "links" and isinstance(value, list):
        return " · ".join(str(link.get("url", "")) if isinstance(link, dict) else str(link) for link in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@register.filter
def metres(value):
    if value is None:
        return ""
    return f"{value / 1000:.1f} km".replace(".", ",") if value >= 1000 else f"{value:.0f} m"


@register.filter
def reason(stored):
    return shown_reason(stored)
