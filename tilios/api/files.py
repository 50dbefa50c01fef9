"""Uploaded files through the API: read them, upload one (multipart), edit what describes it."""
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tilios.accounts.throttle import hit
from tilios.media import editing as file_editing
from tilios.media import processing, services
from tilios.media.models import DEFAULT_LICENCE, MediaFile

from .answers import Answer
from .auth import WRITE, actor, viewer
from .governance import ACTION_ERRORS, WRITE_ERRORS, EditIn, WriteOut, _current, edit_record
from .record_schemas import RevisionRefOut
from .records import MAX_LIMIT, find_record, write_result

router = Router(tags=["fichiers"])
FILE = file_editing.RECORD


class FileFilters(Schema):
    place: str | None = None
    cursor: str | None = None
    limit: int = 50


class FileOut(Answer):
    name: str = Field(..., description="le nom du fichier dans le wiki, unique")
    kind: str = Field(..., description="image ou document")
    media_type: str
    size: int = Field(..., description="en octets")
    width: int | None
    height: int | None
    alt: str = Field(..., description="texte de remplacement (images)")
    caption: str
    credit: str
    licence: str
    licence_label: str
    licence_url: str
    place: str | None = Field(..., description="identifiant public du lieu illustré")
    url: str = Field(..., description="la page du fichier")
    content_url: str
    thumbnail_url: str | None
    wiki: str = Field(..., description="comment l'insérer dans une page du wiki")
    current_revision: RevisionRefOut | None


class FilePage(Answer):
    next_cursor: str | None
    results: list[FileOut]


def file_out(file):
    """A file as the API shows it: its description, licence and the URLs of its content."""
    content = reverse("web:file_content", args=[file.name])
    return {"name": file.name, "kind": file.kind, "media_type": file.media_type, "size": file.size,
            "width": file.width, "height": file.height, "alt": file.alt, "caption": file.caption,
            "credit": file.credit, "licence": file.licence, "licence_label": file.licence_label,
            "licence_url": file.licence_url, "place": file.place.public_id if file.place_id else None,
            "url": file.get_absolute_url(), "content_url": content,
            "thumbnail_url": f"{content}?taille=vignette" if file.is_image else None,
            "wiki": f"[[Fichier:{file.name}]]", "current_revision": _current(file)}


@router.get("/files", response=FilePage, summary="Fichiers publiés (photos des lieux, documents)")
def list_files(request, filters: Query[FileFilters]):
    """Newest first; `place` (public id) keeps the files of one place; `next_cursor` for the next page."""
    if not 1 <= filters.limit <= MAX_LIMIT:
        raise ValidationError({"limit": _("entre 1 et %(max)d") % {"max": MAX_LIMIT}})
    qs = MediaFile.objects.published().select_related("place", "current_revision").order_by("-id")
    if filters.place:
        qs = qs.filter(place__public_id=filters.place)
    if filters.cursor:
        if not filters.cursor.isdigit():
            raise ValidationError({"cursor": _("curseur illisible")})
        qs = qs.filter(id__lt=int(filters.cursor))
    items = list(qs[: filters.limit + 1])
    more = len(items) > filters.limit
    items = items[: filters.limit]
    return {"next_cursor": str(items[-1].pk) if more and items else None, "results": [file_out(f) for f in items]}


@router.get("/files/{name}", response=FileOut, summary="Un fichier")
def get_file(request, name: str):
    return file_out(find_record(FILE, name, viewer(request)))


@router.post("/files", response={201: WriteOut, 202: WriteOut, **ACTION_ERRORS}, auth=WRITE,
             summary="Envoyer un fichier (multipart)")
def upload_file(request, file: UploadedFile = File(...), alt: str = Form(""), caption: str = Form(""),
                credit: str = Form(""), licence: str = Form(DEFAULT_LICENCE), place: str = Form(""),
                summary: str = Form("")):
    """JPEG, PNG, WebP or PDF, judged by content; images lose their metadata and are scaled down. `alt` is
    required for an image. 201 when live, 202 when it waits for review (new accounts)."""
    hit(request, "edit")
    if file.size > processing.MAX_BYTES:
        raise ValidationError({"file": _("fichier trop gros : %(mb)d Mo au plus")
                               % {"mb": processing.MAX_BYTES // (1024 * 1024)}})
    try:
        record, revision = services.upload(actor(request), file.read(), file.name or "", {
            "alt": alt, "caption": caption, "credit": credit, "licence": licence, "place": place or None}, summary)
    except processing.FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from None
    return Status(201 if revision.status == revision.Status.ACCEPTED else 202, write_result(record, revision))


@router.patch("/files/{name}", response={200: WriteOut, 202: WriteOut, **WRITE_ERRORS}, auth=WRITE,
              summary="Modifier la description d'un fichier")
def edit_file(request, name: str, payload: EditIn):
    """`changes` among alt, caption, credit, licence, place; name and content never change (400)."""
    return edit_record(request, FILE, name, payload)
