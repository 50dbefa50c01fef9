"""Long writes in short transactions on SQLite, undone as one if they fail.

SQLite lets one connection write at a time: an import applied in one transaction would make every web
and API write wait for minutes. So, on SQLite, a long write (`stepwise`) commits in steps, and temporary
triggers — seen only by the writing connection — log the statements that put back what each step changed
(the technique of sqlite.org/undoredo.html; the rows a step inserts, as ranges). A write that fails replays
its log backwards, one step per transaction; a process killed outright leaves its log behind, and the next
command, the next import or the running server (`recover`) replays it. An update is put back only where
the row still holds what the write left, so a person's edit made meanwhile is kept. A step ends, and leaves
the lock free for a moment, as soon as a writer says it is waiting (`announce_waits`), and after a second
for any other: each commit costs (its pages written, at times a checkpoint), and a writer that says it
waits is let in after the row at hand.

PostgreSQL needs none of this: its writers do not wait for each other, so a long write stays one
transaction there, as it does inside an enclosing transaction (tests, dry runs).
"""
import fcntl
import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connection, connections, transaction
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

TABLE = "tilios_undo"
# How long a step may hold the write lock when nobody says they wait: a writer that does not say it (another
# program on the file) finds the lock free this often.
STEP_SECONDS = 1.0
# Then the lock stays free this long: a waiting writer's busy handler retries every 100 ms at most, so
# without a gap the next step would take the lock again before any of them could (starving them).
GAP_SECONDS = 0.05
# A long write runs in the background and may wait its turn for the lock much longer than a request's
# busy timeout (after which a request is a 503): on a loaded machine, writers may hold it back for a while.
PATIENCE_SECONDS = 600
_CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, step INTEGER NOT NULL, "
           "statement TEXT NOT NULL)")


class WriteInProgress(Exception):
    """Another long write holds this database."""


def _beside_database(suffix):
    name = str(settings.DATABASES["default"]["NAME"])
    if name.startswith("file:") or name == ":memory:":
        return Path(settings.VAR_DIR) / f"tilios-write{suffix}"
    return Path(name + suffix)


def _lock_path():
    return _beside_database(".lock")


def _waits_path():
    """A file that grows by a byte each time a writer finds the write lock taken (`announce_waits`)."""
    return _beside_database(".waits")


def _waits(path):
    try:
        return path.stat().st_size
    except FileNotFoundError:  # removed meanwhile: nobody said anything since
        return 0


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def announce_waits(execute, sql, params, many, context):
    """An execute wrapper of every SQLite connection (`install_announcer`). A statement that takes the write
    lock — a transaction's BEGIN, a write outside any — first tries without waiting; when the lock is taken it
    says so (a byte on `_waits_path()`), then waits its turn as usual. A long write leaves the lock free
    between its steps only when someone said so."""
    db = context["connection"]
    if getattr(db, "long_write", False) or not (
            sql.startswith("BEGIN") or (not db.in_atomic_block and sql.lstrip()[:7].upper().startswith(_WRITES))):
        return execute(sql, params, many, context)
    raw = db.connection
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        return execute(sql, params, many, context)
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(db.settings_dict['OPTIONS'].get('timeout', 5) * 1000)}")
    try:
        with open(_waits_path(), "ab") as waits:
            waits.write(b".")
    except OSError:  # a folder it may not write in: the long write still pauses once a second
        log.warning("cannot announce a wait on %s", _waits_path())
    return execute(sql, params, many, context)


def install_announcer(sender, connection, **kwargs):
    """`connection_created` receiver: every SQLite connection announces its waits (first, so that a wrapper a
    test pushes and pops stays on top)."""
    if connection.vendor == "sqlite" and announce_waits not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, announce_waits)


@contextmanager
def _exclusive(wait):
    """The one long write allowed on this database at a time (an flock: released by the kernel on kill -9)."""
    path = _lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise WriteInProgress(_("un autre import est en cours sur cette base ; réessayez quand il aura fini")) \
                from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _journaled_tables(cursor):
    """Every table of the database but the journal and SQLite's own; virtual tables (the R*Tree) and their
    shadow tables are left out: triggers on the journaled tables keep them in step, replay included."""
    rows = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [name for name, _sql in rows if name != TABLE and not name.startswith("sqlite_")
            and not any(name == v or name.startswith(v + "_") for v in virtual)]


def _columns(cursor, table):
    return [row[1] for row in cursor.execute(f"PRAGMA main.table_info({_q(table)})").fetchall()]


def _q(name):
    return '"' + name.replace('"', '""') + '"'


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def _triggers(cursor, table):
    """Temporary triggers logging the inverse of each change to `table` as one SQL statement, for the rows that
    were there when the step began: those the step inserts are put back as one range (`_Steps`)."""
    cols = _columns(cursor, table)
    t, log_row = _q(table), f"INSERT INTO {TABLE}(step, statement) SELECT n, "
    step = " FROM tilios_undo_step"
    before_step = f"<= (SELECT last FROM temp.tilios_undo_last WHERE tbl = {_literal(table)})"
    # Undo an update with only the columns it changed, and only if the row still holds what it wrote.
    changed = " || ".join(f"CASE WHEN old.{_q(c)} IS NOT new.{_q(c)} THEN ', {_q(c)} = ' || quote(old.{_q(c)}) "
                          "ELSE '' END" for c in cols)
    guard = " || ".join(f"CASE WHEN old.{_q(c)} IS NOT new.{_q(c)} THEN ' AND {_q(c)} IS ' || quote(new.{_q(c)}) "
                        "ELSE '' END" for c in cols)
    any_change = " OR ".join(f"old.{_q(c)} IS NOT new.{_q(c)}" for c in cols)
    values = " || ', ' || ".join(f"quote(old.{_q(c)})" for c in cols)
    name = table.replace('"', "")
    return [
        f"""CREATE TEMP TRIGGER "undo_{name}_insert" AFTER INSERT ON main.{t} WHEN new.rowid {before_step} BEGIN
            {log_row}{_literal(f"DELETE FROM {t} WHERE rowid = ")} || new.rowid{step}; END""",
        f"""CREATE TEMP TRIGGER "undo_{name}_update" AFTER UPDATE ON main.{t}
            WHEN old.rowid {before_step} AND ({any_change}) BEGIN
            {log_row}{_literal(f"UPDATE {t} SET ")} || substr({changed}, 3) || ' WHERE rowid = '
            || old.rowid || {guard}{step}; END""",
        f"""CREATE TEMP TRIGGER "undo_{name}_delete" AFTER DELETE ON main.{t} WHEN old.rowid {before_step} BEGIN
            {log_row}{_literal(f"INSERT INTO {t} ({', '.join(_q(c) for c in cols)}) VALUES (")} || {values}
            || ')'{step}; END""",
    ]


_EVERY_ROW = 2 ** 63 - 1  # a `last` above any rowid: every change is logged row by row


def _install(cursor):
    """The undo triggers of every journaled table; returns the tables."""
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS tilios_undo_step (n INTEGER NOT NULL)")
    cursor.execute("DELETE FROM temp.tilios_undo_step")
    cursor.execute("INSERT INTO temp.tilios_undo_step VALUES (0)")
    # Per table, the last rowid when the current step began.
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS tilios_undo_last (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL)")
    cursor.execute("DELETE FROM temp.tilios_undo_last")
    tables = _journaled_tables(cursor)
    cursor.executemany("INSERT INTO temp.tilios_undo_last VALUES (%s, %s)", [(t, _EVERY_ROW) for t in tables])
    for table in tables:
        for statement in _triggers(cursor, table):
            cursor.execute(statement)
    return tables


def _uninstall(cursor):
    names = cursor.execute("SELECT name FROM temp.sqlite_master WHERE type = 'trigger' AND name LIKE 'undo\\_%' "
                           "ESCAPE '\\'").fetchall()
    for (name,) in names:
        cursor.execute(f"DROP TRIGGER temp.{_q(name)}")
    cursor.execute("DROP TABLE IF EXISTS temp.tilios_undo_step")
    cursor.execute("DROP TABLE IF EXISTS temp.tilios_undo_last")


@contextmanager
def _patient_transaction():
    """A transaction of the long write itself: waits for the write lock up to PATIENCE_SECONDS."""
    atomic, deadline = transaction.atomic(), time.monotonic() + PATIENCE_SECONDS
    while True:
        try:
            atomic.__enter__()
            break
        except OperationalError as exc:  # BEGIN IMMEDIATE gave up after the busy timeout: try again
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(GAP_SECONDS)
    try:
        yield
    except BaseException:
        if not atomic.__exit__(*sys.exc_info()):
            raise
    else:
        atomic.__exit__(None, None, None)


def _replay():
    """Put back, newest step first, what the journal holds; each step in its own transaction."""
    replayed = 0
    while True:
        with connection.cursor() as cursor:  # reading needs no lock
            row = cursor.execute(f"SELECT max(step) FROM {TABLE}").fetchone()
            if row[0] is None:
                return replayed
            step = row[0]
            statements = cursor.execute(f"SELECT statement FROM {TABLE} WHERE step = %s ORDER BY seq DESC",
                                        [step]).fetchall()
        try:
            with _patient_transaction(), connection.cursor() as cursor:
                for (statement,) in statements:
                    cursor.execute(statement)  # no parameters: not rewritten by Django
                cursor.execute(f"DELETE FROM {TABLE} WHERE step = %s", [step])
        except IntegrityError:
            # Someone's later write depends on rows of this step (an edit of an imported place): keep them.
            log.warning("undo step %s kept: later writes depend on it", step)
            with _patient_transaction(), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {TABLE} WHERE step = %s", [step])
        replayed += len(statements)


def recover():
    """Replay the journal of a long write that died (kill -9, power cut); a no-op while one is running.
    Returns how many changes were put back."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        if not cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [TABLE]).fetchone():
            return 0
        if not cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone():
            return 0
    try:
        with _exclusive(wait=False):
            count = _replay()
    except WriteInProgress:
        return 0
    if count:
        log.warning("an interrupted import was undone (%s changes put back)", count)
    return count


class _Steps:
    """What a long write calls between units of work: commits when someone waits, or after STEP_SECONDS.

    A step logs row by row its changes to the rows there when it began. The rows it inserts (most of an
    import, and what it changes in them) are logged as one range per table when it commits: SQLite gives a
    new row the largest rowid plus one (a row inserted with a smaller rowid of its own is logged by itself).
    A range is logged last in its step, so put back first; the row-by-row log never names a row in a range,
    so no other order matters (foreign keys are checked at commit)."""

    def __init__(self, tables):
        self.waits_path = _waits_path()
        self.waits_path.write_bytes(b"")  # counted afresh for each long write: the file stays a few bytes long
        self.number, self.started, self.atomic, self.waits, self.tables = 0, time.monotonic(), None, 0, tables
        self.last_rowids = "SELECT " + ", ".join(f"(SELECT coalesce(max(rowid), 0) FROM main.{_q(t)})" for t in tables)
        self.last = {}  # table -> its last rowid when the step began

    def begin(self):
        self.atomic = _patient_transaction()
        self.atomic.__enter__()
        self.started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE temp.tilios_undo_step SET n = %s", [self.number])
            self.last = dict(zip(self.tables, cursor.execute(self.last_rowids).fetchone()))
            cursor.executemany("UPDATE temp.tilios_undo_last SET last = %s WHERE tbl = %s",
                               [(last, table) for table, last in self.last.items()])

    def _end(self):
        with connection.cursor() as cursor:
            now = dict(zip(self.tables, cursor.execute(self.last_rowids).fetchone()))
            cursor.executemany(f"INSERT INTO {TABLE}(step, statement) VALUES (%s, %s)", [
                (self.number, f"DELETE FROM {_q(table)} WHERE rowid > {self.last[table]} AND rowid <= {now[table]}")
                for table in self.tables if now[table] > self.last[table]])
            # Between steps (a pause), every change is logged by itself.
            cursor.execute("UPDATE temp.tilios_undo_last SET last = %s", [_EVERY_ROW])
        self.atomic.__exit__(None, None, None)
        self.number += 1

    def __call__(self):
        waits = _waits(self.waits_path)  # a stat() per unit of work: a few microseconds
        if waits != self.waits or time.monotonic() - self.started >= STEP_SECONDS:
            self.waits = waits  # someone waits for the lock, or may: let them take it
            self._end()
            time.sleep(GAP_SECONDS)
            self.begin()

    @contextmanager
    def paused(self):
        """Commit, and run the block outside any transaction: a long stretch of reading must not hold the
        write lock (SQLite transactions here begin IMMEDIATE, taking it at once)."""
        self._end()
        try:
            yield
        finally:
            self.begin()


class _OneTransaction:
    """The same calls, inside one transaction."""

    def __call__(self):
        pass

    @contextmanager
    def paused(self):
        yield


WRITE_CACHE_KIB = 16384  # SQLite's page cache during a long write (the site's connections keep 64 MiB)
# During a long write the WAL is copied back into the database (a checkpoint: it syncs the file) every 80 MiB,
# not SQLite's 4 MiB; the write checkpoints what it left once, at its end (`lean`).
CHECKPOINT_PAGES = 20000


@contextmanager
def lean(using=DEFAULT_DB_ALIAS):
    """Read the database through a small page cache, not mapped in memory: a long write touches most of the
    file, and every mapped or cached page it touches would count in the process's memory until it ends.
    The operating system's file cache still holds those pages, outside the process. Checkpoint seldom."""
    pragmas = {"mmap_size": 0, "cache_size": -WRITE_CACHE_KIB, "wal_autocheckpoint": CHECKPOINT_PAGES}
    with connections[using].cursor() as cursor:
        before = {name: row[0] for name in pragmas if (row := cursor.execute(f"PRAGMA {name}").fetchone())}
        for name, value in pragmas.items():
            cursor.execute(f"PRAGMA {name}={value}")
    try:
        yield
    finally:
        with connections[using].cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name}={int(value)}")
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits: readers keep what they read


@contextmanager
def _long_write():
    """This connection's transactions are the long write's: they do not announce their waits."""
    connection.long_write = True
    try:
        yield
    finally:
        connection.long_write = False


@contextmanager
def stepwise(one_transaction=False):
    """Run a long write. Yields a function to call between units of work (rows) — on SQLite, outside any
    enclosing transaction, it commits when a writer waits, or after STEP_SECONDS — and whose `paused()`
    holds a stretch of reading outside the transaction. Anywhere else (or asked for `one_transaction`, as a
    dry run that will roll back is) these do nothing and the write is one transaction. Either way an
    exception leaves the database as it was before the write."""
    if one_transaction or connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield _OneTransaction()
        return
    with _exclusive(wait=False), lean(), _long_write():
        with connection.cursor() as cursor:
            cursor.execute(_CREATE)
        _replay()  # a write that died before this one
        with connection.cursor() as cursor:
            steps = _Steps(_install(cursor))
        try:
            steps.begin()
            try:
                yield steps
                with connection.cursor() as cursor:  # forgetting the journal commits with the last step
                    _uninstall(cursor)
                    cursor.execute(f"DELETE FROM {TABLE}")
            except BaseException:
                steps.atomic.__exit__(*sys.exc_info())
                raise
            steps.atomic.__exit__(None, None, None)
        except BaseException:
            with connection.cursor() as cursor:
                _uninstall(cursor)
            _replay()
            raise
