"""What following a record of the archive covers: a promise is followed with what came of it (its outcomes
and the actors' replies), a programme with its announcements and promises and what came of those."""
from django.db.models import Q

from .models import Outcome, Programme, Promise, Reply

# The models whose followers hear of more than the record itself: other records need not be loaded.
COVERING = (Promise, Programme)


def followed_with(record):
    """The records besides `record` whose changes its followers hear of (none for other records)."""
    if isinstance(record, Promise):
        promises, also = [record], []
    elif isinstance(record, Programme):
        promises = list(record.promises.all())
        also = [*promises, *record.announcements.all()]
    else:
        return []
    outcomes = list(Outcome.objects.filter(promise__in=promises))
    replies = Reply.objects.filter(Q(promise__in=promises) | Q(outcome__in=outcomes))
    return [*also, *outcomes, *replies]
