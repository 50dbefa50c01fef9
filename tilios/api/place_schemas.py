"""The shapes of the places' answers: a place in a list and in full, the map's GeoJSON (every place, or
the groups of a view), reports, kinds and communes."""
import datetime
from typing import Any, Literal

from ninja import Field

from .answers import Answer
from .files import FileOut
from .record_schemas import RevisionRefOut
from .source_schemas import SourceOut

MAX_FEATURES = 20000


class PlaceSummaryOut(Answer):
    id: str = Field(..., description="identifiant public, stable (une fusion redirige vers le lieu gardé)")
    name: str
    kinds: list[str] = Field(..., description="codes des types (voir /api/kinds)")
    status: str = Field(..., description="project, open, suspended ou closed")
    latitude: float | None
    longitude: float | None
    town: str = Field(..., description="la commune (calculée depuis la position, sinon déclarée)")
    commune_code: str | None = Field(..., description="code INSEE de la commune calculée")
    departement_code: str | None
    opening_hours: str = Field(..., description="horaires dans la syntaxe OpenStreetMap")
    url: str = Field(..., description="la page du lieu")
    source_records: list[str] = Field(..., description="les fiches des sources dont il est fait (`source:id`)")
    distance_km: float = Field(None, description="avec `near` seulement : la distance au point donné")


class PointOut(Answer):
    type: Literal["Point"]
    coordinates: list[float] = Field(..., description="[longitude, latitude]")


class MarkerOut(Answer):
    id: str
    name: str
    kinds: list[str]
    town: str


class PlaceFeatureProperties(MarkerOut):
    source_records: list[str]


class PlaceFeature(Answer):
    type: Literal["Feature"]
    id: str
    geometry: PointOut
    properties: PlaceFeatureProperties


class PlaceCollection(Answer):
    type: Literal["FeatureCollection"]
    truncated: bool = Field(..., description=f"vrai quand plus de {MAX_FEATURES} lieux répondent : "
                                             "resserrer `bbox` ou passer par /api/places/clusters")
    features: list[PlaceFeature]
    licences: list[SourceOut] = Field(..., description="les sources de ces lieux, leur licence et la mention due")


class GroupProperties(Answer):
    cluster: bool = Field(..., description="vrai pour un groupe, faux pour un lieu seul dans sa case")
    count: int
    extent: list[float] = Field(None, description="groupe : ouest, sud, est, nord de ses lieux")
    id: str = Field(None, description="lieu seul : son identifiant public")
    name: str = Field(None)
    kinds: list[str] = Field(None)
    town: str = Field(None)


class GroupFeature(Answer):
    type: Literal["Feature"]
    id: str = Field(None, description="lieu seul : son identifiant public")
    geometry: PointOut
    properties: GroupProperties


class GroupCollection(Answer):
    type: Literal["FeatureCollection"]
    zoom: int
    bbox: list[float] = Field(..., description="la vue élargie aux cases entières")
    count: int = Field(..., description="les lieux de la vue, somme des `count` des groupes")
    features: list[GroupFeature]
    total: int = Field(None, description="avec `summary` : tous les lieux filtrés, sur toute la carte")
    extent: list[float] | None = Field(None, description="avec `summary` : leur étendue")
    licences: list[SourceOut] = Field(None, description="avec `summary` : les sources de ces lieux")


class TermOut(Answer):
    code: str
    label: str
    group: str = Field(..., description="la rubrique du terme dans son vocabulaire")


class HoursNowOut(Answer):
    timezone: str
    state: str = Field(..., description="open, closed ou unknown, à l'heure de la demande")
    next_change: datetime.datetime | None
    text: str = Field(..., description="l'état en mots : « ouvert · ferme à 18 h »")


class VerifiedOut(Answer):
    on: datetime.date
    by: str = Field(..., description="la source ou la personne qui l'a dit")
    by_kind: str = Field(..., description="source ou person")


class ContactOut(Answer):
    phone: str | None = Field(..., description="au format E.164")
    phone_display: str | None
    has_email: bool = Field(..., description="l'adresse n'est jamais publiée : écrire par `form_url`")
    form_url: str | None


class DirectionsOut(Answer):
    geo: str = Field(..., description="URI geo: qu'un téléphone ouvre dans son application de cartes")
    osm: str = Field(..., description="itinéraire sur OpenStreetMap")


class EpciOut(Answer):
    code: str
    name: str


class PlaceOut(PlaceSummaryOut):
    alternate_names: list[str]
    presence: str = Field(..., description="physical, digital ou hybrid")
    mobility: str = Field(..., description="fixed, itinerant ou ephemeral")
    opened_on: datetime.date | None
    closed_on: datetime.date | None
    temporary: bool
    address: str
    postcode: str
    declared_town: str = Field(..., description="la commune telle que la source ou l'auteur l'a écrite")
    declared_commune_code: str | None
    commune_check: str = Field(..., description="accord entre commune déclarée et position : agree, differs, "
                                                "far, derived, declared…")
    declared_distance_km: float | None
    departement: str | None
    region_code: str | None
    region: str | None
    epci: EpciOut | None
    in_metropole: bool | None
    population_class: str
    links: list[dict[str, Any]] = Field(..., description="[{kind, url}]")
    capacity: int | None
    opening_hours_unparsed: str = Field(..., description="des horaires de source illisibles, à réécrire")
    hours: HoursNowOut | None
    services: list[TermOut]
    access: list[TermOut]
    audiences: list[TermOut]
    prices: str
    wheelchair: str | None
    unrecognised: dict[str, Any] = Field(..., description="valeurs de source qu'aucun terme ne désigne")
    directions: DirectionsOut | None
    contact: ContactOut
    description: str = Field(..., description="en Markdown")
    description_html: str
    sources: list[SourceOut]
    verified: VerifiedOut | None = Field(..., description="« vérifié le » : le dernier jour où une source ou "
                                                          "une personne a dit le lieu tel que décrit")
    updated_at: datetime.datetime
    current_revision: RevisionRefOut | None = Field(..., description="à renvoyer en `base_revision` pour "
                                                                     "modifier le lieu")
    protected: bool
    photos: list[FileOut]


class ReportOut(Answer):
    id: int
    place: str = Field(..., description="identifiant du lieu signalé (celui où un lieu fusionné a été rattaché)")
    kind: str
    status: str


class KindOut(Answer):
    code: str
    label: str
    label_en: str
    cget_typology: str = Field(..., description="typologie de la base CGET qui donne ce type à l'import")
    osm_tags: list[Any] = Field(..., description="étiquettes OpenStreetMap qui donnent ce type à l'import")
    taxonomy_version: str


class CommuneOut(Answer):
    code: str = Field(..., description="code INSEE")
    name: str
    departement: str | None
    latitude: float | None
    longitude: float | None
    population: int | None
