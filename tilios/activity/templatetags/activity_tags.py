"""`{% place_activity place %}`: the « Activité » section of a place page (small chart and indicators);
`{{ text|translated }}`: the translation of a French text that an evaluation carries as data."""
from django import template
from django.utils.translation import gettext

from tilios.activity import services

register = template.Library()


@register.inclusion_tag("web/activity/_place_summary.html", takes_context=True)
def place_activity(context, place):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"place": place, "indicators": services.place_indicators(place), "chart": services.chart(place),
            "can_report": services.can_report(user, place)}


@register.filter
def translated(text):
    return gettext(text) if text else text
