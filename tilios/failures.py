"""When the database or the disk fails, what it means to the person in front of Tilios.

A locked, full, read-only, unreachable or unprepared database is not a bug of the request: the
reader gets one sentence saying what happened and what to do (JSON on the API, a page on the web,
a line on stderr from the CLI) with a 503 and, when waiting helps, `Retry-After`. The details go
to the log for the operator. SQLite's transactions guarantee nothing was half-written.
"""
import errno
import logging
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils.translation import gettext as _

logger = logging.getLogger("tilios.failures")


@dataclass(frozen=True)
class Outage:
    message: str
    retry_after: int | None = None  # seconds, when the cause passes by itself
    status: int = 503


# (words of the engine's or system's message, outage). SQLite and PostgreSQL word them differently.
def _rules():
    return [
        (("database is locked", "database table is locked", "lock timeout", "could not obtain lock"),
         Outage(_("La base de données est occupée par une autre écriture (un import en cours ?) : rien n’a été "
                  "enregistré, réessayez dans quelques secondes."), retry_after=10)),
        (("disk is full", "no space left", "could not extend file", "disk full"),
         Outage(_("Le disque du serveur est plein : rien n’a été enregistré. L’exploitant doit libérer de la "
                  "place."))),
        (("readonly database", "read-only file system", "read only file system", "read-only transaction"),
         Outage(_("La base de données est en lecture seule : la consultation reste possible, rien ne peut être "
                  "enregistré. L’exploitant doit rendre le dossier de données inscriptible."))),
        (("no such table", "does not exist", "no such column"),
         Outage(_("La base de données n’est pas prête : lancez « tilios migrate » (ou « tilios serve », qui la "
                  "prépare)."))),
        (("unable to open database file", "connection refused", "could not connect", "connection is bad",
          "server closed the connection", "the connection is closed", "no such host"),
         Outage(_("La base de données est injoignable : réessayez dans un moment ; l’exploitant vérifie le "
                  "serveur ou le dossier de données."), retry_after=30)),
    ]


_OS_ERRORS = {errno.ENOSPC: "no space left", errno.EROFS: "read-only file system", errno.EDQUOT: "disk full"}


def outage_of(exc):
    """The Outage an exception stands for, or None when it is a real bug (left to the 500 handler)."""
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        text = _OS_ERRORS[exc.errno]
    elif isinstance(exc, DatabaseError) or type(exc).__module__.startswith(("sqlite3", "psycopg")):
        text = str(exc).lower()
    else:
        return None
    for words, outage in _rules():
        if any(w in text for w in words):
            return outage
    return None


def log(exc, where):
    logger.error("%s : %s", where, exc, exc_info=exc)
