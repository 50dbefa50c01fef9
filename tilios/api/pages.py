"""Knowledge pages through the API: the wiki part, Markdown under CC BY-SA 4.0."""
import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tilios.pages.markdown import WIKI_LINK
from tilios.pages.models import LICENCE, LICENCE_URL, Page

from .answers import Answer
from .auth import WRITE, viewer
from .governance import (
    ACTION_ERRORS,
    WRITE_ERRORS,
    EditIn,
    Paging,
    ProtectIn,
    RevertIn,
    ThreadIn,
    WriteOut,
    _current,
    create_record,
    edit_record,
    protect_record,
    record_history,
    record_talk,
    revert_record,
    start_thread,
)
from .record_schemas import HistoryOut, ProtectOut, RevisionRefOut, TalkOut, ThreadOut
from .records import MAX_LIMIT, PAGE, find_record, html_of

router = Router()


class PageIn(Schema):
    title: str
    body: str = ""
    summary: str = ""


class PageFilters(Schema):
    category: str | None = None
    cursor: str | None = None
    limit: int = 50


class CategoryOut(Answer):
    slug: str
    name: str


class PageOut(Answer):
    slug: str
    title: str
    categories: list[CategoryOut]
    current_revision: RevisionRefOut | None
    updated_at: datetime.datetime
    licence: str = Field(..., description="la licence du texte des pages")
    licence_url: str


class FullPageOut(PageOut):
    body: str = Field(..., description="le texte en Markdown, liens de wiki [[…]] compris")
    html: str = Field(..., description="le texte en HTML nettoyé, liens vers les pages qui existent")
    protected: bool


class PageList(Answer):
    next_cursor: str | None
    results: list[PageOut]


def _page_out(page, full=False):
    out = {"slug": page.slug, "title": page.title,
           "categories": [{"slug": c.slug, "name": c.name} for c in page.categories.all()],
           "current_revision": _current(page), "updated_at": page.updated_at, "licence": LICENCE,
           "licence_url": LICENCE_URL}
    if full:
        linked = {slugify(target) for target, _label in WIKI_LINK.findall(page.body or "")} - {""}
        existing = set(Page.objects.published().filter(slug__in=linked).values_list("slug", flat=True))
        out.update(body=page.body, html=html_of(page.body, existing), protected=page.protected)
    return out


@router.get("/pages", response=PageList, tags=["pages"], summary="Pages de connaissances")
def list_pages(request, filters: Query[PageFilters]):
    """Published pages by slug; `category` (slug) filters; `next_cursor` for the next page."""
    if not 1 <= filters.limit <= MAX_LIMIT:
        raise ValidationError({"limit": _("entre 1 et %(max)d") % {"max": MAX_LIMIT}})
    qs = Page.objects.published().select_related("current_revision").prefetch_related("categories")
    if filters.category:
        qs = qs.filter(categories__slug=filters.category)
    if filters.cursor:
        qs = qs.filter(slug__gt=filters.cursor)
    items = list(qs.order_by("slug")[: filters.limit + 1])
    more = len(items) > filters.limit
    items = items[: filters.limit]
    return {"next_cursor": items[-1].slug if more and items else None, "results": [_page_out(p) for p in items]}


@router.get("/pages/{slug}", response=FullPageOut, tags=["pages"], summary="Une page de connaissances")
def get_page(request, slug: str):
    """Its Markdown `body`, the sanitised `html`, its categories, licence and `current_revision`."""
    return _page_out(find_record(PAGE, slug, viewer(request)), full=True)


@router.post("/pages", response={201: WriteOut, 202: WriteOut, **ACTION_ERRORS}, auth=WRITE, tags=["pages"],
          summary="Créer une page")
def create_page(request, payload: PageIn):
    """201 when live, 202 when it waits for review; 400 when a page already has this title's slug."""
    slug = slugify(payload.title.strip())[:200]
    taken = ValidationError({"title": _("une page de ce titre existe déjà (%(slug)s)") % {"slug": slug}})
    if slug and Page.objects.filter(slug=slug).exists():
        raise taken
    try:
        return create_record(request, PAGE, {"title": payload.title, "body": payload.body}, payload.summary)
    except IntegrityError:  # created by someone else a moment ago
        raise taken from None


@router.patch("/pages/{slug}", response={200: WriteOut, 202: WriteOut, **WRITE_ERRORS}, auth=WRITE, tags=["pages"],
           summary="Modifier une page")
def edit_page(request, slug: str, payload: EditIn):
    """Same rules as places: `base_revision` is the revision you read; 409 on a conflict. The
    slug stays the same when the title changes."""
    return edit_record(request, PAGE, slug, payload)


@router.get("/pages/{slug}/history", response=HistoryOut, tags=["pages"], summary="Historique d'une page")
def page_history(request, slug: str, page: Query[Paging]):
    return record_history(request, PAGE, slug, page)


@router.post("/pages/{slug}/revert", response={200: WriteOut, 202: WriteOut, **WRITE_ERRORS}, auth=WRITE,
          tags=["pages"], summary="Restaurer une révision d'une page")
def revert_page(request, slug: str, payload: RevertIn):
    return revert_record(request, PAGE, slug, payload)


@router.post("/pages/{slug}/protect", response={200: ProtectOut, **ACTION_ERRORS}, auth=WRITE, tags=["pages"],
          summary="Protéger une page (modérateurs)")
def protect_page(request, slug: str, payload: ProtectIn):
    return protect_record(request, PAGE, slug, payload)


@router.get("/pages/{slug}/talk", response=TalkOut, exclude_unset=True,
            tags=["discussion"], summary="Page de discussion d'une page")
def page_talk(request, slug: str):
    return record_talk(request, PAGE, slug)


@router.post("/pages/{slug}/talk", response={201: ThreadOut, **ACTION_ERRORS}, exclude_unset=True,
             auth=WRITE, tags=["discussion"], summary="Ouvrir une discussion sur une page")
def start_page_thread(request, slug: str, payload: ThreadIn):
    return start_thread(request, PAGE, slug, payload)
