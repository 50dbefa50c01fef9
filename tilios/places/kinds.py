"""The kinds of places as every search reads them (their ids, codes and names), kept by the process.

A search reads the kinds twice: to know which words name one (« coworking »), then to find the kinds it asks
for by code. Kinds change a few times a year, by an administrator; reading them from the database cost each
search two statements (0.4 ms of a `q` on PostgreSQL, bench/text_search.py). A change made in this process is
seen at once (its signals drop what was kept); one made in another process, within KEEP_SECONDS.
"""
from time import monotonic

from django.db.models.signals import post_delete, post_save

from .models import Kind

KEEP_SECONDS = 60

_kept = None  # (when read, rows)


def all_kinds():
    """((id, code, label, label_en), …) of every kind, by position."""
    global _kept
    kept = _kept
    if kept is None or monotonic() - kept[0] > KEEP_SECONDS:
        kept = _kept = (monotonic(),
                        tuple(Kind.objects.order_by("position", "id").values_list("id", "code", "label", "label_en")))
    return kept[1]


def ids_by_code(codes):
    """{code: id} of the kinds among `codes` (unknown codes are absent)."""
    wanted = set(codes)
    return {code: kind_id for kind_id, code, _label, _label_en in all_kinds() if code in wanted}


def forget(**_kwargs):
    """Read the kinds afresh next time: a kind was saved or deleted (or a test rolled one back)."""
    global _kept
    _kept = None


post_save.connect(forget, sender=Kind, dispatch_uid="tilios_kinds_forget_saved")
post_delete.connect(forget, sender=Kind, dispatch_uid="tilios_kinds_forget_deleted")
