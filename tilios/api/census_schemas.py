"""The shapes of the census answers: definitions, counts with the lines that reproduce them, explanations,
series, snapshots and estimates."""
from typing import Any

from ninja import Field

from .answers import Answer


class DefinitionOut(Answer):
    slug: str
    version: int
    ref: str = Field(..., description="`slug@version`, ce qu'un compte cite")
    name: str
    text: str = Field(..., description="la définition écrite, en mots")
    changelog: str = Field(..., description="ce que cette version change")
    criteria: dict[str, Any] = Field(..., description="les critères appliqués aux lieux (kinds_any, statuses…)")
    created_at: str


class ReproduceOut(Answer):
    cli: str = Field(..., description="la ligne de commande qui redonne le même chiffre")
    api: str = Field(..., description="l'adresse de l'API qui le redonne")


class CountRowOut(Answer):
    key: str | int | None = Field(..., description="le code du territoire ou de la classe")
    label: str
    count: int = Field(..., description="lieux certainement valides le jour D")
    possible: int = Field(..., description="lieux peut-être valides : sans date d'ouverture, attestés après D")


class CountOut(Answer):
    definition: str
    definition_name: str
    valid_on: str = Field(..., description="D, le jour où les lieux sont valides")
    known_on: str = Field(..., description="K, le jour où l'on sait ce que l'on sait")
    by: str | None
    within: dict[str, str]
    total: int
    possible: int
    rows: list[CountRowOut]
    reproduce: ReproduceOut


class ExplainedPlaceOut(Answer):
    id: str
    name: str
    departement: str
    commune: str
    reasons: list[str] = Field(None, description="lieux non comptés : pourquoi")


class ExplainOut(Answer):
    definition: str
    valid_on: str
    known_on: str
    within: dict[str, str]
    limit: int
    included_count: int
    included: list[ExplainedPlaceOut]
    excluded: list[ExplainedPlaceOut]
    reproduce: ReproduceOut


class SeriesRowOut(Answer):
    year: int
    valid_on: str
    known_today: int = Field(..., description="valides ce jour-là, tels que connus le jour `known_on`")
    known_then: int = Field(..., description="valides ce jour-là, tels que connus ce jour-là")
    reproduce: dict[str, str] = Field(..., description="les lignes de commande de ces deux chiffres")


class SeriesReproduceOut(Answer):
    api: str
    csv: str


class SeriesOut(Answer):
    definition: str
    definition_name: str
    known_on: str
    within: dict[str, str]
    year_from: int = Field(..., alias="from")
    year_to: int = Field(..., alias="to")
    rows: list[SeriesRowOut]
    reproduce: SeriesReproduceOut


class VerifyOut(Answer):
    total: int = Field(..., description="le compte refait aujourd'hui")
    same_total: bool
    content_hash: str
    same_hash: bool = Field(..., description="les mêmes lieux comptés, aux mêmes lignes")


class SnapshotReproduceOut(Answer):
    cli: str
    api: str
    count_cli: str
    count_api: str


class SnapshotOut(Answer):
    id: int
    title: str
    definition: str
    definition_name: str
    valid_on: str
    known_on: str
    by: str | None
    within: dict[str, str]
    total: int
    rows: list[CountRowOut]
    content_hash: str = Field(..., description="empreinte des lieux comptés et des lignes")
    data_revision: int | None
    created_at: str
    created_by: str | None
    reproduce: SnapshotReproduceOut
    verify: VerifyOut = Field(None, description="pour un seul compte figé : son recalcul aujourd'hui")


class EstimatedOut(Answer):
    method: str = Field(..., description="chapman, chao, loglinear…")
    observed: int
    estimate: float
    lower: float = Field(..., description="borne basse de l'intervalle à 95 %")
    upper: float
    se: float | None
    assumptions: list[str]
    details: dict[str, Any]


class WarningOut(Answer):
    code: str
    message: str


class EstimateOut(Answer):
    sources: list[str]
    listed: dict[str, int] = Field(..., description="par source : ses lieux dans le périmètre commun")
    observed: int = Field(..., description="lieux distincts listés par au moins une source")
    overlap: int = Field(..., description="lieux listés par deux sources ou plus")
    set_aside: int = Field(..., description="lieux hors du périmètre commun, laissés de côté")
    scope: dict[str, Any] = Field(..., description="départements et types de chaque source, et leur intersection")
    estimates: list[EstimatedOut]
    refused: list[dict[str, str]] = Field(..., description="estimateurs écartés, avec la raison")
    warnings: list[WarningOut]
    sensitivity: dict[str, Any] = Field(..., description="paires en attente de revue, et les estimations si "
                                                         "elles étaient toutes des doublons")
    strata: dict[str, Any] | None = Field(..., description="avec `by` : une estimation par territoire")
    definition: str | None
    valid_on: str | None
    known_on: str | None
    reproduce: ReproduceOut

