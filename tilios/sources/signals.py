"""Signals of the sources app: how its events reach the apps above it, which it never imports.

Each signal lists its receivers, so that what a merge sets off can be read here."""
from django.dispatch import Signal

# Sent when the records attesting some places changed (an import's rows are in, a merge, its undoing, a
# split), with their ids and, during an import, the journal's step function: the census rebuilds their facts.
# An import's own merges do not send it: the import sends it once, at its end, for every place it touched.
# Receivers: census (facts.on_attested).
places_attested = Signal()

# Sent inside a merge's transaction with `merge` (a sources.Merge, saved): what other apps hold of the merged
# place goes to the kept one, and they write down on the merge what they moved so that undoing it gives it
# back. An import's join sends it with `joined=True`: its merged place was created in the same transaction, for
# the record that joins, so nothing else holds it yet. Receivers: activity (its reports, Merge.activity_reports).
place_merged = Signal()

# Sent inside the transaction that undoes `merge`. Receivers: activity (gives the reports back).
merge_undone = Signal()
