"""Files: upload, the file's page, its content served with the headers a user-supplied file needs, the list."""
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tilios.media import processing, services, storage
from tilios.media.models import MediaFile
from tilios.places.models import Place
from tilios.revisions.visibility import visible_to

from .common import add_errors, contributor_required, paginate, rate_limited
from .edit_views import _published_message
from .forms import FileUploadForm
from .records import FILE, find


@contributor_required
@rate_limited("edit")
def upload(request):
    place = Place.objects.live().filter(public_id=request.GET.get("lieu", "")).first()
    form = FileUploadForm(request.POST or None, request.FILES or None,
                          initial={"place": place.public_id if place else ""})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > processing.MAX_BYTES:  # before reading it into memory
                raise processing.FileRefused(_("fichier trop gros : %(mb)d Mo au plus")
                                             % {"mb": processing.MAX_BYTES // (1024 * 1024)})
            file, revision = services.upload(request.user, upload.read(), upload.name, form.data_for_revision(),
                                             form.cleaned_data.get("summary") or "")
        except processing.FileRefused as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            _published_message(request, revision)
            return redirect(file)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/file_upload.html", {"form": form, "place": place}, status=status)


def file_page(request, name):
    file = find(FILE, name, request.user)
    uses = f"[[Fichier:{file.name}]]"
    return render(request, "web/file.html", {"file": file, "record": file, "rtype": FILE, "tab": "read",
                                             "uses": uses})


def content(request, name):
    """The kept copy (`?taille=vignette`: the thumbnail). A user-supplied file: served with its own type,
    never sniffed, in a sandbox with no script, and privately while it waits for review."""
    file = MediaFile.objects.filter(name=name).first()
    if file is None or not visible_to(file, request.user):
        raise Http404
    thumb = request.GET.get("taille") == "vignette" and file.is_image
    try:
        handle = storage.path_of(file.content, thumb=thumb).open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type=file.media_type, as_attachment=False, filename=file.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "public, max-age=86400" if file.is_published else "private, no-store"
    return response


def index(request):
    page = paginate(request, MediaFile.objects.published().select_related("place"))
    return render(request, "web/files.html", {"page_obj": page})
