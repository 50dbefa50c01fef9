"""Dump and restore a whole Tilios instance, from any engine to any engine (SQLite ↔ PostgreSQL).

A dump is JSON Lines (gzip-compressed when its name ends in .gz): a header line, then for each table
a line naming it and its columns followed by one array per row, in primary-key order. Values are
written the same way whatever the engine (UTC ISO dates, JSON objects with sorted keys, content types
by app and model), so dump → restore → dump gives the same bytes on SQLite and PostgreSQL, apart from
the header's `created_at` (VOLATILE). After the tables comes the content of uploaded files (CONTENT_TABLE:
each kept copy and thumbnail, base64), which a restore writes back to media.storage, checking each copy
against its SHA-256 name.

Left out, on purpose: secrets (password hashes, API tokens, sessions), the rows `migrate` itself makes
(content types, permissions) and Django's unused groups and admin log. A restore clears those it does
not bring back, so no token or session of the replaced instance survives. Restoring runs in one
transaction (foreign keys are checked at commit on both engines): it is all or nothing."""
import base64
import datetime
import decimal
import gzip
import json
import uuid

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import IntegrityError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from tilios.media import storage
from tilios.media.models import MediaFile
from tilios.places.services import tidy_indexes

FORMAT = "tilios-dump"
VERSION = 1
VOLATILE = {"header": ["created_at"]}  # what may differ between two dumps of the same state
# Cleared by a restore, never dumped: secrets, and Django parts Tilios does not use.
NOT_DUMPED = {"sessions.session", "accounts.apitoken", "admin.logentry", "auth.group", "auth.group_permissions",
              "auth.user_groups", "auth.user_user_permissions"}
MADE_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}  # neither dumped nor cleared
SECRET_COLUMNS = {"auth.user": {"password"}}
UNUSABLE_PASSWORD = "!"  # a restored account sets its password again (« mot de passe oublié »)
# Rows a fresh `migrate` (or the territory reference) puts in an otherwise empty database.
REFERENCE = {"places.kind", "census.censusdefinition", "activity.bandscheme", "sources.source", "territories.region",
             "territories.departement", "territories.epci", "territories.commune"}
BATCH = 2000
CONTENT_TABLE = "media.content"  # not a table: the uploaded files' bytes


class DumpError(ValueError):
    """The dump cannot be restored here; the message says why and what to do. Nothing was written."""


def dumped_models():
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy
            and m._meta.label_lower not in NOT_DUMPED | MADE_BY_MIGRATE]


def _columns(model):
    secret = SECRET_COLUMNS.get(model._meta.label_lower, set())
    return [f for f in model._meta.local_concrete_fields if f.attname not in secret]


def _is_content_type(field):
    return field.is_relation and field.related_model is ContentType


def _migrations(connection):
    applied = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _plain(value):
    """A value as the same JSON on every engine."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def _line(obj):
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_plain) + "\n"


def _open(path, mode, gzipped=None):
    if mode == "r":
        with open(path, "rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, mode + "t", encoding="utf-8") if gzipped else open(path, mode, encoding="utf-8")


def _rows(model, fields, using):
    names = [f.attname for f in fields]
    content_types = {i: f"{a}.{m}" for i, a, m in ContentType.objects.using(using).values_list("id", "app_label", "model")}
    ct_positions = [i for i, f in enumerate(fields) if _is_content_type(f)]
    qs = model._base_manager.using(using).values_list(*names)
    if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField"):
        rows = qs.order_by("pk").iterator(chunk_size=BATCH)
    else:  # text keys: the engines collate differently, Python's order is the same everywhere
        rows = sorted(qs, key=lambda row: str(row[names.index(model._meta.pk.attname)]))
    for row in rows:
        row = [_plain(v) for v in row]
        for i in ct_positions:
            row[i] = content_types.get(row[i]) if row[i] is not None else None
        yield row


def dump(path, using="default", compress=False):
    """Write the instance to `path` (gzip-compressed if `compress`); returns {table label: row count}."""
    connection = connections[using]
    counts = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using), _open(path, "w", compress) as out:
        if outermost and connection.vendor == "postgresql":  # one snapshot of every table, whatever writes meanwhile
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        out.write(_line({"format": FORMAT, "version": VERSION, "created_at": timezone.now(),
                         "migrations": _migrations(connection), "volatile": VOLATILE}))
        for model in dumped_models():
            fields = _columns(model)
            label = model._meta.label_lower
            out.write(_line({"table": label, "columns": [f.attname for f in fields]}))
            count = 0
            for row in _rows(model, fields, using):
                out.write(_line(row))
                count += 1
            counts[label] = count
        counts[CONTENT_TABLE] = _dump_contents(out, using)
    return counts


def _dump_contents(out, using):
    out.write(_line({"table": CONTENT_TABLE, "columns": ["content", "thumb", "data"]}))
    count = 0
    for content in sorted(set(MediaFile._base_manager.using(using).values_list("content", flat=True))):
        for thumb in (False, True):
            path = storage.path_of(content, thumb=thumb)
            if path.exists():
                out.write(_line([content, thumb, base64.b64encode(path.read_bytes()).decode()]))
                count += 1
    return count


def _restore_content(row, line_number):
    try:
        content, thumb, data = row
        storage.put(content, bool(thumb), base64.b64decode(data, validate=True))
    except (ValueError, TypeError) as exc:
        raise DumpError(f"ligne {line_number} : contenu de fichier illisible ({exc})") from None


def content_counts(using="default"):
    """{table label: rows} of the tables holding an instance's own content (not reference data)."""
    found = {}
    for model in dumped_models():
        label = model._meta.label_lower
        if label not in REFERENCE and model._base_manager.using(using).exists():
            found[label] = model._base_manager.using(using).count()
    return found


def restore(path, replace=False, using="default"):
    """Load the dump at `path`; refuses a database holding content unless `replace`. All or nothing."""
    connection = connections[using]
    models = {m._meta.label_lower: m for m in dumped_models()}
    try:
        source = _open(path, "r")
    except FileNotFoundError:
        raise DumpError(f"{path} : fichier introuvable") from None
    except OSError as exc:
        raise DumpError(f"{path} : illisible ({exc.strerror})") from None
    counts = {}
    with source, transaction.atomic(using=using):
        header = _read(source, 1)
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise DumpError(f"{path} : ce n'est pas un dump Tilios (format {FORMAT} version {VERSION})")
        _check_migrations(header.get("migrations", {}), _migrations(connection))
        content = content_counts(using)
        if content and not replace:
            named = ", ".join(f"{label} ({n})" for label, n in sorted(content.items())[:4])
            raise DumpError(f"la base n'est pas vide : {named}… Ajoutez --replace pour la remplacer entièrement.")
        for label in NOT_DUMPED | set(models):
            model = apps.get_model(label)
            model._base_manager.using(using).all()._raw_delete(using)
        line_number, model, fields = 1, None, []
        pending = []
        for line_number, line in enumerate(source, start=2):
            item = _parse(line, line_number)
            if isinstance(item, dict) and item.get("table") == CONTENT_TABLE:
                _insert(model, fields, pending, using)
                model, counts[CONTENT_TABLE] = CONTENT_TABLE, 0
                continue
            if model == CONTENT_TABLE and isinstance(item, list):
                _restore_content(item, line_number)
                counts[CONTENT_TABLE] += 1
                continue
            if isinstance(item, dict):
                _insert(model, fields, pending, using)
                model, fields = _table(item, models, line_number)
                counts[model._meta.label_lower] = 0
                continue
            if model is None or len(item) != len(fields):
                raise DumpError(f"ligne {line_number} : ligne de données hors d'une table ou de la mauvaise longueur")
            pending.append(_values(fields, item, line_number, connection))
            counts[model._meta.label_lower] += 1
            if len(pending) >= BATCH:
                _insert(model, fields, pending, using)
        _insert(model, fields, pending, using)
        missing = set(models) - set(counts)
        if missing:
            raise DumpError(f"{path} : dump incomplet, tables absentes : {', '.join(sorted(missing))}")
        try:  # checked now rather than at commit, to say which row is wrong
            connection.check_constraints(table_names=[m._meta.db_table for m in models.values()])
        except IntegrityError as exc:
            raise DumpError(f"{path} : une référence ne mène nulle part ({exc})") from None
        with connection.cursor() as cursor:  # next ids follow the restored ones (PostgreSQL sequences)
            for sql in connection.ops.sequence_reset_sql(no_style(), list(models.values())):
                cursor.execute(sql)
        tidy_indexes(using)
    return counts


def _read(source, line_number):
    return _parse(source.readline(), line_number)


def _parse(line, line_number):
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise DumpError(f"ligne {line_number} : JSON illisible ({exc.msg}, colonne {exc.colno})") from None


def _check_migrations(dumped, here):
    missing = {app: sorted(set(names) - set(here.get(app, []))) for app, names in dumped.items()}
    missing = {app: names for app, names in missing.items() if names}
    if missing:
        app, names = next(iter(missing.items()))
        raise DumpError(f"la base n'a pas les migrations du dump ({app} {names[-1]}…) : lancez « tilios migrate » "
                        "avec une version de Tilios au moins aussi récente que celle qui l'a écrit")
    extra = {app: sorted(set(names) - set(dumped.get(app, []))) for app, names in here.items()}
    extra = {app: names for app, names in extra.items() if names and app in dumped}
    if extra:
        app, names = next(iter(extra.items()))
        raise DumpError(f"la base a des migrations que le dump n'a pas ({app} {names[0]}…) : restaurez-le avec la "
                        "version de Tilios qui l'a écrit, puis migrez")


def _table(item, models, line_number):
    label = item.get("table")
    if label not in models:
        raise DumpError(f"ligne {line_number} : table inconnue « {label} »")
    model = models[label]
    by_name = {f.attname: f for f in _columns(model)}
    columns = item.get("columns", [])
    if sorted(columns) != sorted(by_name):
        raise DumpError(f"ligne {line_number} : les colonnes de {label} ne sont pas celles de cette version")
    return model, [by_name[c] for c in columns]


def _values(fields, values, line_number, connection):
    """A dumped row as the database takes it: the same conversions Django applies when it saves."""
    row = []
    for field, value in zip(fields, values):
        if value is not None and _is_content_type(field):
            try:
                value = ContentType.objects.get_by_natural_key(*value.split(".", 1)).pk
            except ContentType.DoesNotExist:
                raise DumpError(f"ligne {line_number} : type de contenu inconnu « {value} »") from None
        elif value is not None and not field.is_relation and field.get_internal_type() != "JSONField":
            try:
                value = field.to_python(value)
            except ValidationError:
                raise DumpError(f"ligne {line_number} : valeur illisible pour {field.attname} : {value!r}") from None
        row.append(field.get_db_prep_save(value, connection))
    return row


def _insert(model, fields, pending, using):
    """Insert the rows as they are, by plain SQL: no save-time value (auto_now dates…) is recomputed."""
    if not pending:
        return
    connection = connections[using]
    columns = [f.column for f in fields]
    extra = SECRET_COLUMNS.get(model._meta.label_lower, set())
    if extra:  # the secrets the dump left out: a password nobody can use
        columns += sorted(model._meta.get_field(name).column for name in extra)
        pending[:] = [row + [UNUSABLE_PASSWORD] * len(extra) for row in pending]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, pending)
    pending.clear()
