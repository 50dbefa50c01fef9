"""« Données ouvertes »: the downloads of the registry and the licences a reuser must honour."""
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tilios.opendata import downloads
from tilios.opendata.exports import ShareAlikeConflict
from tilios.places.models import Kind

from . import embed_views


def index(request):
    try:
        licensing = downloads.licensing()
    except ShareAlikeConflict as exc:
        licensing = {"sources": [], "licence_of_whole": None, "attribution": "", "conflict": str(exc)}
    files = [{"name": name, **spec} for name, spec in downloads.DOWNLOADS.items()]
    embed = [(key, request.GET.get(f"embed_{key}", "").strip()) for key in ("departement", "region", "kind")]
    embed_url, embed_code = embed_views.snippet(request, embed)
    return render(request, "web/opendata.html", {"files": files, "licensing": licensing, "kinds": Kind.objects.all(),
                                                 "embed": dict(embed), "embed_url": embed_url,
                                                 "embed_code": embed_code})


def download(request, name):
    if name not in downloads.DOWNLOADS:
        raise Http404
    try:
        out, content_type = downloads.build(name)
    except ShareAlikeConflict as exc:
        return HttpResponse(_("Export impossible : %(reason)s") % {"reason": exc}, status=409,
                            content_type="text/plain; charset=utf-8")
    return FileResponse(out, as_attachment=True, filename=name, content_type=content_type)
