"""Signals of the sources app."""
from django.dispatch import Signal

# Sent when the records attesting some places changed (an import's rows are in, a merge, its undoing, a
# split), with their ids and, during an import, the journal's step function: the census rebuilds their facts.
places_attested = Signal()
