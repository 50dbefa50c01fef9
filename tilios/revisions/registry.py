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
    system_fields: tuple = ()  # fields only services change (a merge), never a person's edit
    fixed_fields: tuple = ()  # fields set when the record is created, never changed after (a file's content)
    apply_many: Callable | None = None  # ([records], [cleaned data]) -> None; saves them all (create_many, edit_many)


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


def model_editable(model, fields, m2m=(), text_fields=()):
    """An Editable for a plain model: values are checked by the model's own field validation.

    `fields` are concrete fields (a ForeignKey is edited as its id); `m2m` are many-to-many fields
    edited as a sorted list of ids.
    """
    import datetime
    import decimal

    def to_json(value):
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        if isinstance(value, decimal.Decimal):
            return float(value)
        return value

    def attname(name):
        return model._meta.get_field(name).attname

    def snapshot(record):
        data = {name: to_json(getattr(record, attname(name))) for name in fields}
        for name in m2m:
            data[name] = sorted(getattr(record, name).values_list("pk", flat=True)) if record.pk else []
        return data

    def validate(data):
        check_unknown_fields(spec, data)
        instance = model()
        errors = {}
        for name in fields:
            field = model._meta.get_field(name)
            raw = data.get(name, defaults.get(name))
            try:
                value = field.to_python(raw) if raw not in (None, "") or not field.null else None
                if value is None and not field.null and raw in (None, ""):
                    value = field.get_default()
                setattr(instance, field.attname, value)
            except ValidationError as exc:
                errors[name] = exc.messages
        try:
            instance.clean_fields(exclude=[f.name for f in model._meta.fields if f.name not in fields])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages)
        clean = {name: to_json(getattr(instance, attname(name))) for name in fields}
        for name in m2m:
            related = model._meta.get_field(name).related_model
            ids = data.get(name) or []
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                errors[name] = ["une liste d'identifiants attendue"]
                continue
            found = set(related.objects.filter(pk__in=ids).values_list("pk", flat=True))
            if set(ids) - found:
                errors[name] = [f"identifiant inconnu : {sorted(set(ids) - found)[0]}"]
            clean[name] = sorted(found)
        if errors:
            raise ValidationError(errors)
        return clean

    def apply(record, data):
        for name in fields:
            field = model._meta.get_field(name)
            setattr(record, field.attname, field.to_python(data[name]) if data[name] is not None else None)
        record.save()
        for name in m2m:
            getattr(record, name).set(data[name])

    defaults = {}
    for name in fields:
        field = model._meta.get_field(name)
        default = field.get_default()
        defaults[name] = to_json(default) if default is not None else None
    for name in m2m:
        defaults[name] = []
    spec = register(Editable(model=model, fields=tuple(fields) + tuple(m2m), defaults=defaults, snapshot=snapshot,
                             validate=validate, apply=apply, text_fields=tuple(text_fields)))
    return spec
