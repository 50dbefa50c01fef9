"""Which models are revisable, and how to snapshot, validate and apply their editable fields."""
from dataclasses import dataclass
from typing import Callable

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Editable:
    model: type
    fields: tuple
    defaults: dict
    snapshot: Callable  # record -> {field: JSON value}
    validate: Callable  # {field: value} -> cleaned {field: JSON value}; raises ValidationError(dict)
    apply: Callable  # (record, cleaned data) -> None; saves the record
    text_fields: tuple = ()  # fields scanned by the link-spam check


_registry = {}


def register(editable):
    _registry[editable.model] = editable
    return editable


def spec_for(model_or_record):
    model = model_or_record if isinstance(model_or_record, type) else type(model_or_record)
    try:
        return _registry[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not revisable") from None


def check_unknown_fields(spec, data):
    unknown = sorted(set(data) - set(spec.fields))
    if unknown:
        raise ValidationError({name: "champ inconnu" for name in unknown})
