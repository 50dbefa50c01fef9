"""The services' exceptions as HTTP answers: always JSON, always with a `detail`."""
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import ValidationError as NinjaValidationError

from tilios.accounts.throttle import RateLimited
from tilios.census.services import CensusError
from tilios.places.queries import QueryError
from tilios.revisions.services import EditConflict, NoChange


class Error(Schema):
    detail: str


class FieldErrors(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class RevisionRef(Schema):
    id: int
    number: int | None


class Conflict(Schema):
    detail: str
    current_revision: RevisionRef | None
    conflicting_fields: list[str]
    changed_since: list[str]


def error_dict(exc):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def register(api):
    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        user = getattr(request, "user", None)
        anonymous = user is None or not user.is_authenticated
        detail = str(exc) or _("action non autorisée")
        return api.create_response(request, {"detail": detail}, status=401 if anonymous else 403)

    @api.exception_handler(EditConflict)
    def edit_conflict(request, exc):
        current = exc.current
        return api.create_response(request, {
            "detail": str(exc),
            "current_revision": {"id": current.pk, "number": current.number} if current is not None else None,
            "conflicting_fields": exc.conflicting,
            "changed_since": sorted(exc.fields),
        }, status=409)

    @api.exception_handler(DjangoValidationError)
    def validation_error(request, exc):
        errors = error_dict(exc)
        detail = " ; ".join(f"{field} : {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                            for field, messages in errors.items())
        return api.create_response(request, {"detail": detail[:2000], "errors": errors}, status=400)

    # A number beyond what the database stores (an id of 20 digits in a path or a filter): the
    # driver refuses it (OverflowError on SQLite, DataError on PostgreSQL); it names nothing here.
    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def out_of_range(request, exc):
        return api.create_response(request, {"detail": _("valeur hors des limites de la base de données")},
                                   status=400)

    # A query the services cannot answer as asked (a bad bbox, a census over an unknown territory…).
    @api.exception_handler(CensusError)
    @api.exception_handler(QueryError)
    def bad_query(request, exc):
        return api.create_response(request, {"detail": str(exc)}, status=400)

    @api.exception_handler(NoChange)
    def no_change(request, exc):
        return api.create_response(request, {"detail": str(exc) or _("aucune modification")}, status=400)

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc):
        response = api.create_response(request, {"detail": str(exc), "scope": exc.scope}, status=429)
        response["Retry-After"] = "60"
        return response

    @api.exception_handler(NinjaValidationError)
    def bad_request(request, exc):
        errors: dict[str, Any] = {}
        for error in exc.errors:
            loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
            errors.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", ""))[:300])
        detail = " ; ".join(f"{field} : {' '.join(messages)}" for field, messages in errors.items())
        return api.create_response(request, {"detail": _("requête invalide") + " — " + detail[:2000],
                                             "errors": errors}, status=400)
