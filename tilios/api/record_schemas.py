"""The shapes of the governance answers shared by every revisable record: revisions, their history and
review queue, talk pages. The OpenAPI document describes them from here."""
import datetime
from typing import Any

from ninja import Field

from .answers import Answer


class RecordRefOut(Answer):
    type: str = Field(..., description="place, page, training, file, announcement…")
    id: str | int = Field(..., description="identifiant public d'un lieu, adresse d'une page, numéro sinon")


class RevisionRefOut(Answer):
    id: int
    number: int | None


class FieldChangeOut(Answer):
    before: Any
    after: Any


class RevisionOut(Answer):
    id: int
    number: int | None = Field(..., description="rang dans l'historique une fois acceptée, vide en attente")
    status: str = Field(..., description="pending, accepted ou rejected")
    kind: str
    record: RecordRefOut | None
    parent: int | None = Field(..., description="la révision sur laquelle celle-ci a été écrite")
    author: str | None
    summary: str
    created_at: datetime.datetime
    accepted_at: datetime.datetime | None
    reviewed_by: str | None
    reviewed_at: datetime.datetime | None
    review_note: str
    patrolled: bool
    diff: dict[str, FieldChangeOut] = Field(..., description="champ par champ, la valeur avant et après")


class RevisionWithDataOut(RevisionOut):
    data: dict[str, Any] = Field(..., description="l'état complet du contenu selon cette révision")


class RevisionPage(Answer):
    next_cursor: str | None
    results: list[RevisionOut]


class ComparisonOut(Answer):
    record: RecordRefOut | None
    from_revision: RevisionOut = Field(..., alias="from")
    to_revision: RevisionOut = Field(..., alias="to")
    diff: dict[str, FieldChangeOut] = Field(..., description="champ par champ, la valeur de `from` et de `to`")


class HistoryOut(RevisionPage):
    record: RecordRefOut
    current_revision: RevisionRefOut | None


class ProtectOut(Answer):
    record: RecordRefOut
    protected: bool


class MessageOut(Answer):
    id: int
    parent: int | None
    created_at: datetime.datetime
    hidden: bool
    author: str | None = Field(..., description="vide pour un message masqué, sauf pour les modérateurs")
    body: str | None
    html: str | None = Field(..., description="le message en HTML nettoyé")
    hidden_by: str = Field(None, description="qui l'a masqué (modérateurs seulement)")
    replies: list["MessageOut"]


class ThreadOut(Answer):
    id: int
    title: str
    tag: str
    author: str | None
    created_at: datetime.datetime
    messages: list[MessageOut]


class TalkOut(Answer):
    record: RecordRefOut
    tags: list[str] = Field(..., description="les étiquettes qu'un sujet peut porter")
    threads: list[ThreadOut]
