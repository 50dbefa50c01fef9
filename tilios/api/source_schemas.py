"""The shapes of the sources and review answers: sources and licences, the review queues (duplicates,
conflicts, possibly closed places, doubtful positions, hours and values to rewrite), provenance, merges
and splits."""
import datetime
from typing import Any

from ninja import Field

from .answers import Answer, PlaceRefOut


class SourceOut(Answer):
    slug: str
    name: str
    publisher: str
    licence: str
    licence_code: str = Field(..., description="code de la licence (voir /api/licences), vide si elle n'y est pas")
    licence_url: str
    share_alike: bool = Field(..., description="les données réutilisées doivent garder la même licence")
    attribution: str = Field(..., description="la mention à faire figurer en réutilisant ces données")
    url: str
    data_date: datetime.date | None
    priority: int = Field(..., description="entre deux sources en désaccord, la valeur de la plus haute l'emporte")


class LicenceOut(Answer):
    code: str
    name: str
    url: str
    share_alike: bool
    open: bool


class SourceWithRecordsOut(SourceOut):
    records: int = Field(..., description="les enregistrements de la source dans le registre")


class SourceRecordOut(Answer):
    id: int = Field(..., description="l'enregistrement source (à citer pour séparer un lieu)")
    source: str
    source_name: str
    licence: str
    priority: int
    external_id: str = Field(..., description="l'identifiant du lieu dans la source")
    missing: bool = Field(..., description="absent du dernier fichier de la source")


class ReviewPlaceOut(Answer):
    id: str
    name: str
    address: str
    postcode: str
    town: str
    commune_code: str | None
    latitude: float | None
    longitude: float | None
    status: str
    merged_into: str | None
    url: str
    sources: list[SourceRecordOut]


class NamedRefOut(Answer):
    id: str
    name: str


class CandidateOut(Answer):
    id: int
    status: str = Field(..., description="pending, later, same, distinct…")
    score: float = Field(..., description="probabilité d'être le même lieu")
    reasons: list[str] = Field(..., description="les raisons, en mots")
    distance_m: float | None
    created_at: datetime.datetime
    run: int | None = Field(..., description="l'import qui a proposé la paire")
    decided_by: str | None
    decided_at: datetime.datetime | None
    places: list[ReviewPlaceOut] = Field(..., description="les deux lieux")


class CandidatePage(Answer):
    count: int
    next_cursor: str | None
    results: list[CandidateOut]


class MergeOut(Answer):
    id: int
    kept: NamedRefOut
    merged: NamedRefOut
    records: list[int] = Field(..., description="les enregistrements passés au lieu gardé")
    at: datetime.datetime
    by: str | None
    automatic: bool
    score: float | None
    reasons: list[str]
    candidate: int | None
    run: int | None
    undone_at: datetime.datetime | None
    undone_by: str | None


class DecisionOut(Answer):
    id: int
    status: str
    decided_by: str | None
    merge: MergeOut | None = Field(..., description="avec `same` : la fusion faite (annulable)")


class ConflictSourceOut(Answer):
    slug: str
    name: str


class ConflictRecordOut(Answer):
    id: int
    external_id: str


class HumanRevisionOut(Answer):
    id: int
    number: int | None
    author: str | None
    summary: str
    accepted_at: datetime.datetime | None


class ConflictOut(Answer):
    id: int
    status: str
    field: str
    label: str
    place: NamedRefOut
    source: ConflictSourceOut
    record: ConflictRecordOut
    source_value: Any = Field(..., description="ce que dit la source maintenant")
    current_value: Any = Field(..., description="la valeur qu'une personne a écrite")
    human_revision: HumanRevisionOut | None
    run: int | None
    created_at: datetime.datetime
    decided_by: str | None
    decided_at: datetime.datetime | None


class ResolvedConflictOut(ConflictOut):
    value_now: Any = Field(..., description="la valeur du lieu après la décision")


class ConflictPage(Answer):
    count: int
    next_cursor: str | None
    results: list[ConflictOut]


class RunOut(Answer):
    id: int
    started_at: datetime.datetime
    finished_at: datetime.datetime | None


class ClosedOut(Answer):
    record: SourceRecordOut
    place: NamedRefOut
    missing_since_run: RunOut = Field(..., description="le premier import où la source ne le listait plus")


class ClosedPage(Answer):
    count: int
    next_cursor: str | None
    results: list[ClosedOut]


class CommuneRefOut(Answer):
    code: str
    name: str


class DoubtfulLocationOut(Answer):
    place: PlaceRefOut
    latitude: float | None
    longitude: float | None
    address: str
    postcode: str
    declared_town: str
    declared_commune: CommuneRefOut | None
    distance_km: float | None = Field(..., description="de la position au centre de la commune déclarée")


class DoubtfulLocationPage(Answer):
    count: int
    next_cursor: str | None
    results: list[DoubtfulLocationOut]


class UnparsedHoursOut(Answer):
    place: PlaceRefOut
    opening_hours_unparsed: str = Field(..., description="les horaires tels que la source les a donnés")
    opening_hours: str
    sources: list[str]


class UnparsedHoursPage(Answer):
    count: int
    next_cursor: str | None
    results: list[UnparsedHoursOut]


class UnrecognisedOut(Answer):
    place: PlaceRefOut
    unrecognised: dict[str, Any] = Field(..., description="par champ, les valeurs qu'aucun terme ne désigne")
    sources: list[str]


class UnrecognisedPage(Answer):
    count: int
    next_cursor: str | None
    results: list[UnrecognisedOut]


class ClaimSourceOut(Answer):
    slug: str
    name: str
    licence: str
    priority: int


class ClaimOut(Answer):
    source: ClaimSourceOut
    record: ConflictRecordOut
    value: Any
    same: bool = Field(..., description="faux quand la source dit autre chose que la valeur affichée")
    distance_m: float | None = Field(..., description="pour la position : l'écart en mètres")
    at: datetime.datetime | None


class FieldProvenanceOut(Answer):
    field: str
    label: str
    value: Any
    given_by: str = Field(..., description="la source ou la personne qui a donné la valeur affichée")
    given_at: datetime.datetime | None
    by_person: bool
    disagreement: bool
    claims: list[ClaimOut]


class ProvenanceOut(Answer):
    place: ReviewPlaceOut
    fields: list[FieldProvenanceOut]


class PlaceMergesOut(Answer):
    place: NamedRefOut
    merged_into: str | None
    results: list[MergeOut]


class MergeDoneOut(Answer):
    merge: MergeOut


class UndoneMergeOut(Answer):
    merge: MergeOut
    restored: ReviewPlaceOut = Field(..., description="le lieu servi de nouveau")


class SplitOut(Answer):
    from_place: NamedRefOut = Field(..., alias="from")
    place: ReviewPlaceOut = Field(..., description="le nouveau lieu")
