"""The archive's records are revisable like places and pages (attributed, reviewable, revertible)."""
from tilios.revisions.registry import model_editable

from .models import Actor, Announcement, Outcome, Programme, Promise, Reply

ACTOR = model_editable(Actor, ["name", "kind", "territory_code"])
PROGRAMME = model_editable(Programme, ["slug", "name", "kind", "started_on", "ended_on", "budget_eur", "description"],
                           m2m=["actors", "places"], text_fields=["description"])
ANNOUNCEMENT = model_editable(Announcement, ["made_on", "title", "text", "territory_code", "programme",
                                             "source_url", "source_title", "source_page", "archive_url"],
                              m2m=["actors"], text_fields=["text"])
PROMISE = model_editable(Promise, ["announcement", "programme", "metric", "target_value", "unit", "deadline",
                                   "territory_code", "quote", "count_from_registry"])
OUTCOME = model_editable(Outcome, ["promise", "value", "measured_on", "source_url", "archive_url", "method", "note",
                                    "distribution"],
                         text_fields=["note"])
REPLY = model_editable(Reply, ["actor", "promise", "outcome", "made_on", "text", "source_url"], text_fields=["text"])
