"""The shapes of the activity answers: reports, a place's indicators, band schemes and the evaluation of a
programme or of every place. Dates are ISO strings (`evaluation.jsonable`)."""
from typing import Any

from ninja import Field

from .answers import Answer


class ActivityReportOut(Answer):
    id: int
    period_start: str
    period_end: str
    regular_users: int | None = Field(..., description="usagers réguliers du mois")
    occasional_visits: int | None
    desk_days_used: int | None = Field(..., description="postes × jours occupés")
    desk_days_available: int | None
    occupancy_rate: float | None
    events: int | None
    reported_by_kind: str = Field(..., description="manager, survey, import…")
    reported_by: str | None
    reliability: str
    source: str
    note: str
    version: int = Field(..., description="à renvoyer pour corriger ou supprimer le rapport (409 s'il a changé)")


class ActivityList(Answer):
    place: str
    reports: list[ActivityReportOut]


class WindowOut(Answer):
    start: str
    end: str
    months: int


class IndicatorsOut(Answer):
    band: str = Field(..., description="la classe d'évaluation du lieu, « unknown » sans rapport récent")
    band_label: str
    regular_users: float | None = Field(..., description="la statistique du barème sur la fenêtre")
    max_regular_users: int | None
    occupancy_rate: float | None
    trend_regular_users_per_month: float | None
    reported_months: int
    months_without_activity: int | None
    months_without_report: int
    last_report_in_window: str | None


class PlaceIndicatorsOut(IndicatorsOut):
    place: str
    on: str
    window: WindowOut
    scheme: str = Field(..., description="le barème et sa version : « code vN »")
    status: str = Field(..., description="known ou unknown (jamais compté comme zéro)")
    last_report: str | None
    latest: ActivityReportOut | None


class SchemeOut(Answer):
    code: str
    version: int
    label: str
    statistic: str = Field(..., description="median, mean ou max des usagers réguliers mensuels")
    window_months: int
    unknown_after_months: int
    bands: list[dict[str, Any]] = Field(..., description="dans l'ordre : {code, label, no_activity | lt, lte, "
                                                         "gt, gte}")
    source: str


class BandCountOut(Answer):
    code: str
    label: str
    count: int
    share: float | None


class EmptyOut(Answer):
    count: int
    of: int
    share: float | None
    rule: str


class EvaluationOut(Answer):
    on: str
    window: WindowOut
    scheme: SchemeOut
    places: int
    known: int = Field(..., description="les lieux dont l'activité est connue")
    bands: list[BandCountOut]
    unknown: BandCountOut = Field(..., description="« activité inconnue » : jamais comptée comme zéro")
    empty_most_of_the_time: EmptyOut
    rural_rule: str
    groups: dict[str, dict[str, Any]] = Field(..., description="rural, urbain, métropole… : lieux, classes, vides")
    regular_users: int | float = Field(..., description="somme des usagers réguliers des lieux")


class ProgrammeEvaluationOut(EvaluationOut):
    programme: dict[str, Any] = Field(..., description="slug, name, budget_eur")
    studies: list[dict[str, Any]] = Field(..., description="les études publiées, comparées aux rapports")
    cost: dict[str, Any] = Field(..., description="budget par lieu et par usager régulier, et la règle")
    rows: list[dict[str, Any]] = Field(..., description="chaque lieu du programme et ses indicateurs")


class SnapshotUsedOut(Answer):
    as_of: str
    built_at: str
    recomputed_places: int


class PlacesEvaluationOut(EvaluationOut):
    territory: dict[str, str] | None
    by_departement: list[dict[str, Any]] = Field(..., description="par département : lieux, connus, vides, classes")
    snapshot: SnapshotUsedOut | None = Field(..., description="la fin de mois d'où viennent les agrégats, et les "
                                                              "lieux recalculés depuis leurs rapports")
