"""Open-data downloads in the API: the same files, with the same licences, as the « Données ouvertes » page."""
from django.http import FileResponse
from django.urls import reverse
from ninja import Field, Router
from ninja.errors import HttpError

from tilios.opendata import downloads
from tilios.opendata.exports import ShareAlikeConflict

from .answers import Answer
from .source_schemas import SourceOut

router = Router(tags=["données ouvertes"])


class DownloadOut(Answer):
    name: str
    label: str
    description: str
    content_type: str
    url: str


class LicenceTermsOut(Answer):
    id: str = Field(..., description="identifiant SPDX de la licence, sinon son code")
    title: str
    path: str = Field(..., description="l'adresse de son texte")
    share_alike: bool | None


class ExportSourceOut(SourceOut):
    licence_id: str
    share_alike: bool | None = Field(..., description="vide quand la licence n'est pas connue")


class ExportsOut(Answer):
    downloads: list[DownloadOut]
    sources: list[ExportSourceOut] = Field(..., description="les sources des lieux exportés et leur licence")
    licence_of_whole: LicenceTermsOut | None = Field(..., description="la licence de l'ensemble quand une source "
                                                                      "partagée à l'identique (ODbL) en fait partie")
    attribution: str = Field(..., description="les mentions à faire figurer")


DOWNLOAD = {"responses": {200: {"description": "le fichier (CSV, GeoJSON, JSON ou zip)",
                                "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}}


@router.get("/exports", response=ExportsOut, summary="Téléchargements des données ouvertes et leurs licences")
def list_exports(request):
    """Each download, and what a reuser must honour: the licence of each source and, when a share-alike
    source (ODbL) is included, the licence of the whole."""
    try:
        licensing = downloads.licensing()
    except ShareAlikeConflict as exc:
        raise HttpError(409, str(exc)) from None
    files = [{"name": name, "label": str(spec["label"]), "description": str(spec["description"]),
              "content_type": spec["content_type"],
              "url": request.build_absolute_uri(reverse("api:get_export", args=[name]))}
             for name, spec in downloads.DOWNLOADS.items()]
    return {"downloads": files, **licensing}


@router.get("/exports/{name}", summary="Un téléchargement (CSV, GeoJSON, zip)", url_name="get_export",
            openapi_extra=DOWNLOAD)
def get_export(request, name: str):
    if name not in downloads.DOWNLOADS:
        raise HttpError(404, f"name : téléchargement inconnu « {name} » (voir /api/exports)")
    try:
        out, content_type = downloads.build(name)
    except ShareAlikeConflict as exc:
        raise HttpError(409, str(exc)) from None
    return FileResponse(out, as_attachment=True, filename=name, content_type=content_type)
