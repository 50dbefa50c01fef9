"""The base of the API's answer shapes, and the small shapes many answers share.

An answer built on `Answer` declares every key the endpoint sends: an undeclared key is an error, not a
key silently dropped, so the OpenAPI document cannot drift from what the code answers — the suite calls
every endpoint. Endpoints whose keys depend on the question (`distance_km` only with `near`…) are routed
with `exclude_unset=True`: what the code did not send stays out of the answer."""
import json
from typing import Any

from django.http import HttpResponse
from django.utils.functional import Promise
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, ModelWrapValidatorHandler, model_validator


def _plain(value):
    """A translated label (a lazy string of a model's choices) as the text it stands for."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, list) and any(isinstance(v, Promise) for v in value):
        return [str(v) if isinstance(v, Promise) else v for v in value]
    return value


class Answer(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: ModelWrapValidatorHandler, info) -> Any:
        # Replaces ninja's, which validates a schema forbidding extra keys twice (once more through its
        # attribute getter), so twice per nesting level. Answers are built as dicts: validated once.
        if isinstance(values, dict):
            return handler({key: _plain(value) for key, value in values.items()})
        return handler(DjangoGetter(values, cls, info.context))  # a model instance: read by attribute


def unchecked(data):
    """An answer sent as it is, without validating it against its shape: only for the map's large answers,
    where validation would cost more than the query (+40 % on 1 512 places). The tests validate those
    answers against their shape instead."""
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8")


# The OpenAPI description of a CSV download (`openapi_extra=CSV`): a text file, no JSON schema.
CSV = {"responses": {200: {"description": "CSV (UTF-8)", "content": {"text/csv": {"schema": {"type": "string"}}}}}}


class PlaceRefOut(Answer):
    id: str = Field(..., description="identifiant public du lieu")
    name: str
    url: str = Field(..., description="sa page sur le site")
