"""The shapes of the policy archive's answers: announcements with their figures and reprises, programmes,
promises with their status and outcomes, clusters of recycled announcements, timelines."""
from typing import Any, Literal

from ninja import Field

from .answers import Answer
from .record_schemas import RevisionRefOut


class AnnouncementRefOut(Answer):
    id: int
    made_on: str | None
    title: str
    url: str


class ActorOut(Answer):
    id: int
    name: str
    kind: str = Field(..., description="state, region, departement, commune, agency, company, association…")


class ProgrammeRefOut(Answer):
    slug: str
    name: str


class AnnouncementSourceOut(Answer):
    url: str = Field(..., description="où l'annonce a été publiée")
    title: str
    page: str
    archive_url: str = Field(..., description="la même source dans une archive du web")


class AnnouncementSummaryOut(AnnouncementRefOut):
    actors: list[ActorOut]
    territory_code: str
    programme: ProgrammeRefOut | None
    source: AnnouncementSourceOut
    published: bool


class AnnouncementPage(Answer):
    count: int
    next_offset: int | None
    results: list[AnnouncementSummaryOut]


class FigureOut(Answer):
    id: int
    kind: str = Field(..., description="amount, count, year, deadline ou percent")
    value: int | float
    high: int | float | None = Field(..., description="le haut d'une fourchette (« de 3 à 5 lieux »)")
    unit: str
    text: str = Field(..., description="le chiffre tel qu'écrit")
    start: int | None = Field(..., description="sa place dans le texte de l'annonce (caractères)")
    end: int | None
    by_hand: bool = Field(..., description="ajouté ou corrigé à la main, pas extrait")
    key: str = Field(..., description="la clé qui rapproche les mêmes chiffres d'une annonce à l'autre")


class MatchOut(Answer):
    announcement: AnnouncementRefOut = Field(..., description="l'annonce antérieure reprise")
    reasons: list[str] = Field(..., description="texte, chiffres, promesse, chiffre…")
    text_similarity: float
    word_overlap: float
    shared_figures: list[str] = Field(..., description="les clés des chiffres repris")
    shared_passages: list[list[int]] = Field(..., description="[début, fin] des passages repris, dans ce texte")
    other_passages: list[list[int]] = Field(..., description="les mêmes passages dans l'annonce antérieure")


class OutcomeOut(Answer):
    value: int | float
    measured_on: str | None
    source_url: str | None
    archive_url: str | None
    method: str
    note: str
    distribution: list[dict[str, Any]] = Field(..., description="une étude : [{label, count, band}]")
    from_registry: bool = Field(..., description="compté par Tilios dans son registre")


class ReplyOut(Answer):
    id: int
    actor: str
    made_on: str | None
    text: str
    source_url: str
    about: Literal["promise", "outcome"]
    outcome: int | None


class PromiseOut(Answer):
    id: int
    metric: str
    target_value: int | float
    unit: str
    deadline: str | None
    territory_code: str
    programme: str | None
    announcement: AnnouncementRefOut
    source_url: str
    count_from_registry: bool
    status: str = Field(..., description="le statut selon la règle écrite (`status_rule` de /api/policy/promises)")
    status_label: str
    latest_outcome: OutcomeOut | None
    reached_on: str | None
    url: str
    replies: list[ReplyOut] = Field(..., description="droits de réponse des acteurs")


class FailureOut(PromiseOut):
    outcomes: list[OutcomeOut]


class AnnouncementOut(AnnouncementSummaryOut):
    text: str
    figures: list[FigureOut]
    promises: list[PromiseOut]
    recycled: list[MatchOut] = Field(..., description="les annonces antérieures qu'elle reprend")
    current_revision: RevisionRefOut | None


class ProgrammeSummaryOut(Answer):
    slug: str
    name: str
    kind: str
    started_on: str | None
    ended_on: str | None
    budget_eur: float | None
    actors: list[str]
    url: str


class ProgrammeListItem(ProgrammeSummaryOut):
    announcements: int
    promises: int
    places: int


class LinkedPlaceOut(Answer):
    id: str
    name: str
    since: str | None
    until: str | None
    url: str


class ProgrammeOut(ProgrammeSummaryOut):
    description: str
    announcements: list[AnnouncementSummaryOut]
    promises: list[PromiseOut]
    places: list[LinkedPlaceOut] = Field(..., description="les lieux que le programme a financés ou labellisés")


class PromiseList(Answer):
    status_rule: str = Field(..., description="la règle écrite qui donne le statut")
    statuses: dict[str, str]
    results: list[PromiseOut]


class ClusterOut(Answer):
    size: int
    announcements: list[AnnouncementRefOut]


class DeadlineOut(Answer):
    id: int
    metric: str
    target_value: int | float
    unit: str
    url: str


class EventOutcomeOut(Answer):
    promise: int
    value: int | float
    source_url: str
    note: str


class EventOut(Answer):
    date: str | None
    kind: Literal["announcement", "deadline", "outcome"]
    announcement: AnnouncementRefOut = None
    promise: DeadlineOut = None
    outcome: EventOutcomeOut = None


class TimelineOut(Answer):
    programme: str | None
    territory: str | None
    events: list[EventOut]
