"""`{% place_activity place %}`: the « Activité » section of a place page (small chart and indicators)."""
from django import template

from tilios.activity import services

register = template.Library()


@register.inclusion_tag("web/activity/_place_summary.html", takes_context=True)
def place_activity(context, place):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"place": place, "indicators": services.place_indicators(place), "chart": services.chart(place),
            "can_report": services.can_report(user, place)}
