"""`{% place_activity place %}`: the « Activité » section of a place page (small chart and indicators);
`{{ text|translated }}`: the translation of a French text that an evaluation carries as data."""
from django import template
from django.utils.translation import gettext

from tilios.activity import per_place, reporting

register = template.Library()


@register.inclusion_tag("web/activity/_place_summary.html", takes_context=True)
def place_activity(context, place):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"place": place, "indicators": per_place.place_indicators(place), "chart": per_place.chart(place),
            "can_report": reporting.can_report(user, place)}


@register.filter
def translated(text):
    return gettext(text) if text else text
