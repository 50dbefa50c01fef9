"""JSON bodies of the API checked before any view reads them.

A body too big, not JSON, or holding a lone UTF-16 surrogate (« \\ud800 » is valid JSON but no
database can store it) is answered here, in JSON, with what is wrong and where, instead of a bare
HTML 400 or a 500 from the database driver deep in a write.
"""
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _surrogate_at(value, path="body"):
    """The path of the first string (key or value) of `value` holding a lone surrogate, or None."""
    if isinstance(value, str):
        return path if any("\ud800" <= c <= "\udfff" for c in value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _surrogate_at(key, path) or _surrogate_at(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _surrogate_at(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _refuse_constant(name):
    raise ValueError(name)  # NaN, Infinity: Python's json reads them, JSON does not have them


def _error(status, detail):
    return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


class ApiBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and request.method in _WRITES \
                and request.content_type == "application/json":
            refused = self.check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def check(request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        too_big = _error(413, _("corps de requête trop volumineux : %(mb).1f Mo au plus")
                         % {"mb": limit / 1_000_000})
        try:
            if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
                return too_big
            body = request.body
        except RequestDataTooBig:
            return too_big
        except ValueError:
            return _error(400, _("en-tête Content-Length invalide"))
        if not body.strip():
            return None  # the endpoint says which fields it needs
        try:
            data = json.loads(body, parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            return _error(400, _("le corps de la requête n'est pas de l'UTF-8"))
        except json.JSONDecodeError as exc:
            return _error(400, _("JSON illisible ligne %(line)d, colonne %(col)d : %(why)s")
                          % {"line": exc.lineno, "col": exc.colno, "why": exc.msg})
        except ValueError as exc:
            return _error(400, _("JSON invalide : %(value)s n'est pas un nombre") % {"value": exc.args[0]})
        where = _surrogate_at(data)
        if where:
            return _error(400, _("%(field)s : caractère invalide (demi-paire UTF-16 isolée)") % {"field": where})
        return None
