"""The change feed for followers: every published revision, in order, resumable from a cursor."""
from datetime import datetime

from django.db.models import Q
from ninja import Query, Router, Schema

from tilios.places import feed
from tilios.revisions import changes

from .answers import Answer

router = Router(tags=["modifications"])


class ChangeFilters(Schema):
    since: int = 0
    limit: int = 100
    type: str = ""
    region: str = ""
    departement: str = ""
    commune: str = ""
    kind: list[str] = []


class ChangeOut(Answer):
    sequence: int
    at: datetime
    type: str
    id: str
    title: str
    url: str
    revision: int
    kind: str
    author: str
    summary: str
    fields: list[str]
    closed: bool


class ChangePage(Answer):
    changes: list[ChangeOut]
    cursor: int
    next: str


@router.get("/changes", response=ChangePage, summary="Fil des modifications publiées, à reprendre où on l'a laissé")
def list_changes(request, filters: Query[ChangeFilters]):
    """Every published revision (creations, edits, imports, merges, separations, closures) after `since`,
    oldest first. Keep `cursor` and ask again with `since=cursor`: nothing is repeated, nothing skipped,
    even when a long transaction commits late. `region`, `departement`, `commune` (INSEE codes) and `kind`
    keep the places of a territory and of some kinds; `type` keeps one type of record (place, page,
    announcement, programme, promise, outcome, actor)."""
    scope = feed.scope(filters.region, filters.departement, filters.commune, filters.kind) or Q()
    if filters.type:
        scope &= changes.of_type(filters.type)
    page = changes.since(filters.since, filters.limit, scope)
    query = request.GET.copy()
    query["since"] = page.cursor
    return {"changes": [change.as_dict() for change in page.changes], "cursor": page.cursor,
            "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}
