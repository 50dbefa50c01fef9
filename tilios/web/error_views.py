"""The pages of a failed request: a sentence saying what happened, in JSON under /api/.

Wired as Django's handler400 and handler500, so they also answer for exceptions raised outside any
view (a middleware saving the session on a locked database)."""
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tilios import failures


def _answer(request, status, title, message, retry_after=None):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(render_to_string("web/failure.html", {"title": title, "message": message},
                                                 request=None), status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def bad_request(request, exception):
    if isinstance(exception, RequestDataTooBig):
        message = _("Le formulaire envoyé est trop volumineux (%(mb).1f Mo au plus, fichiers à part).") % {
            "mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_000_000}
    else:
        message = _("La requête est invalide ou incomplète.")
    return _answer(request, 400, _("Requête invalide"), message)


def server_error(request):
    exc = sys.exc_info()[1]
    outage = failures.outage_of(exc) if exc is not None else None
    if outage is not None:
        return _answer(request, outage.status, _("Service momentanément indisponible"), outage.message,
                       outage.retry_after)
    return _answer(request, 500, _("Erreur du serveur"),
                   _("Une erreur inattendue s’est produite ; elle est consignée pour l’exploitant. Rien n’a été "
                     "enregistré à moitié."))
