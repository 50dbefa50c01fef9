"""Training offers through the API: the upcoming list (by région, at a distance), one training, and writes
governed like pages."""
import datetime

from ninja import Field, Query, Router, Schema

from tilios.pages import trainings
from tilios.pages.markdown import render

from .answers import Answer
from .auth import WRITE, viewer
from .governance import ACTION_ERRORS, WRITE_ERRORS, EditIn, WriteOut, _current, create_record, edit_record
from .record_schemas import RevisionRefOut
from .records import find_record

router = Router(tags=["formations"])
TRAINING = trainings.RECORD


class TrainingFilters(Schema):
    region: str = ""
    remote: bool = False


class TrainingIn(Schema):
    title: str
    provider: str
    format: str = "on_site"
    on_demand: bool = False
    starts_on: str | None = None
    ends_on: str | None = None
    duration: str = ""
    price: str = ""
    audience: str = ""
    url: str = ""
    places: list[str] = []
    description: str = ""
    summary: str = ""


class TrainingOut(Answer):
    slug: str
    title: str
    provider: str = Field(..., description="qui donne la formation")
    format: str = Field(..., description="on_site, remote ou mixed")
    on_demand: bool = Field(..., description="donnée à la demande, sans date fixe")
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    duration: str
    price: str
    audience: str
    url: str
    places: list[str] = Field(..., description="identifiants publics des lieux où elle a lieu")
    page: str
    current_revision: RevisionRefOut | None


class FullTrainingOut(TrainingOut):
    description: str = Field(..., description="en Markdown")
    description_html: str = Field(..., description="la description en HTML nettoyé")


class TrainingList(Answer):
    results: list[TrainingOut]


def training_out(training, full=False):
    out = {"slug": training.slug, "title": training.title, "provider": training.provider,
           "format": training.format, "on_demand": training.on_demand, "starts_on": training.starts_on,
           "ends_on": training.ends_on, "duration": training.duration, "price": training.price,
           "audience": training.audience, "url": training.url,
           "places": [p.public_id for p in training.places.all()], "page": training.get_absolute_url(),
           "current_revision": _current(training)}
    if full:
        out.update(description=training.description, description_html=render(training.description))
    return out


@router.get("/trainings", response=TrainingList, summary="Formations à venir")
def list_trainings(request, filters: Query[TrainingFilters]):
    """Soonest first, then those given on demand; `region` (INSEE code) keeps those given at a place of that
    région, `remote=true` those given at a distance."""
    found = trainings.upcoming(region=filters.region[:3], remote_only=filters.remote)[:500]
    return {"results": [training_out(t) for t in found]}


@router.get("/trainings/{slug}", response=FullTrainingOut, summary="Une formation")
def get_training(request, slug: str):
    return training_out(find_record(TRAINING, slug, viewer(request)), full=True)


@router.post("/trainings", response={201: WriteOut, 202: WriteOut, **ACTION_ERRORS}, auth=WRITE,
             summary="Ajouter une formation")
def create_training(request, payload: TrainingIn):
    """201 when live, 202 when it waits for review (new accounts)."""
    data = payload.dict()
    summary = data.pop("summary")
    return create_record(request, TRAINING, data, summary)


@router.patch("/trainings/{slug}", response={200: WriteOut, 202: WriteOut, **WRITE_ERRORS}, auth=WRITE,
              summary="Modifier une formation")
def edit_training(request, slug: str, payload: EditIn):
    return edit_record(request, TRAINING, slug, payload)
