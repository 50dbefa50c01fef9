"""The JSON API: thin, each endpoint calls the apps' queries, presenters and services.

Reads are open to all. Writes (tilios.api.governance, tilios.api.pages, …) take a bearer token
(`Authorization: Bearer tl_…`) or the Django session (with its CSRF token). Each module is a
router mounted here; none imports this one, so there is no import circle."""
from ninja import NinjaAPI

from . import (
    activity,
    census,
    changes,
    errors,
    exports,
    files,
    governance,
    moderation,
    pages,
    places,
    policy,
    sources,
    trainings,
)

api = NinjaAPI(
    title="Tilios API",
    version="1",
    description="Registre ouvert des tiers-lieux. Données sous la licence de chaque source (voir /api/sources).",
    urls_namespace="api",
)
errors.register(api)

for module in (places, governance, moderation, pages, files, trainings, census, policy, activity, sources, exports, changes):
    api.add_router("", module.router)
