"""The kinds of record the wiki governs as wholes (places, knowledge pages), named once for the site, the API
and the commands: what the type is called, which field identifies a record in URLs, what titles it.
Each app registers its own (places.editing, pages.editing); the archive of public policy has its own types."""
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordType:
    name: str  # "place" / "page": the site's URL names start with it; `type` in the API and the change feed
    model: type
    key: str  # the field that identifies a record in URLs
    title_field: str
    label: str  # for people (lazy)

    def key_of(self, record):
        return getattr(record, self.key)

    def title_of(self, record):
        return getattr(record, self.title_field)


_types = {}


def register(record_type):
    _types[record_type.name] = record_type
    return record_type


def named(name):
    return _types[name]


def of(model_or_record):
    """The type of a model or record, or None for a model that is not one of them."""
    model = model_or_record if isinstance(model_or_record, type) else type(model_or_record)
    return next((rt for rt in _types.values() if rt.model is model), None)


def all_types():
    return tuple(_types.values())
