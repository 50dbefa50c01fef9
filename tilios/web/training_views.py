"""Training offers: the list of those to come (by région, or at a distance) and one training's page."""
from django.shortcuts import render
from django.utils.translation import get_language

from tilios.pages import trainings
from tilios.pages.markdown import render as markdown
from tilios.territories.models import Region

from .common import paginate
from .records import TRAINING, find


def index(request):
    region = request.GET.get("region", "")[:3]
    remote = request.GET.get("distance") == "oui"
    page = paginate(request, trainings.upcoming(region=region, remote_only=remote))
    return render(request, "web/trainings.html", {
        "page_obj": page, "regions": Region.objects.order_by("name"), "region": region, "remote": remote,
        "pager_query": f"region={region}&distance={'oui' if remote else ''}", "language": get_language()})


def training(request, slug):
    record = find(TRAINING, slug, request.user)
    return render(request, "web/training.html", {
        "training": record, "record": record, "rtype": TRAINING, "tab": "read",
        "places": record.places.select_related("commune", "region").order_by("sort_name"),
        "description_html": markdown(record.description)})
