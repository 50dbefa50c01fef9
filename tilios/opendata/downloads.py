"""The open-data downloads offered on the « Données ouvertes » page and by the API, with their licences.

One catalogue for both faces: each download is built on request from the published places, into a
temporary file (a zip cannot be streamed as it is written), and served from there."""
import io
import tempfile

from django.utils.translation import gettext_lazy as _

from tilios.places import queries
from tilios.places.presenters import source_summary
from tilios.sources import licences as licence_rules
from tilios.sources.models import Source

from . import datapackage, mednum
from .exports import whole_licence, write_csv, write_geojson


def _refusing_conflicts(writer):
    def write(places, out):
        mednum.licensing(places)  # two share-alike licences: refused, as the other downloads are
        writer(places, out)
    return write


def _text(writer):
    def build(places, out):
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer(places, text)
        text.detach()
    return build


DOWNLOADS = {
    "lieux.csv": {"label": _("Lieux (CSV)"), "content_type": "text/csv; charset=utf-8",
                  "description": _("une ligne par lieu, avec ses sources, leurs licences et attributions, "
                                   "et les enregistrements sources dont il est fait"),
                  "build": _text(write_csv)},
    "lieux.geojson": {"label": _("Lieux (GeoJSON)"), "content_type": "application/geo+json",
                      "description": _("les lieux localisés, les licences en tête du fichier"),
                      "build": _text(write_geojson)},
    "tilios-datapackage.zip": {
        "label": _("Paquet de données Frictionless (zip)"), "content_type": "application/zip",
        "description": _("lieux, types, sources, licences et table de correspondance lieu ↔ enregistrements "
                         "sources, chaque table décrite par son Table Schema"),
        "build": datapackage.write_zip},
    mednum.CSV_NAME: {
        "label": _("Lieux au schéma des lieux de médiation numérique (CSV)"),
        "content_type": "text/csv; charset=utf-8",
        "description": _("le standard national LaMednum (schema.data.gouv.fr), valide selon son schéma : les "
                         "lieux qu’il peut tenir (adresse, code postal et commune connus, lieux non fermés), "
                         "leurs services dans ses listes"),
        "build": _text(_refusing_conflicts(mednum.write_csv))},
    mednum.JSON_NAME: {
        "label": _("Lieux au schéma des lieux de médiation numérique (JSON)"),
        "content_type": "application/json",
        "description": _("les mêmes lieux en tableau JSON d’objets : les champs et types du schéma, les champs "
                         "vides omis"),
        "build": _text(_refusing_conflicts(mednum.write_json))},
    "lieux-mediation-numerique.zip": {
        "label": _("Lieux au schéma des lieux de médiation numérique, avec les licences (zip)"),
        "content_type": "application/zip",
        "description": _("le même CSV, le schéma publié et un descripteur Frictionless qui porte la licence de "
                         "l’ensemble et l’attribution de chaque source"),
        "build": mednum.write_zip},
}


def build(name):
    """The download `name` as an open binary temporary file at its start; KeyError when unknown."""
    spec = DOWNLOADS[name]
    out = tempfile.TemporaryFile()
    spec["build"](queries.search(), out)
    out.seek(0)
    return out, spec["content_type"]


def licensing():
    """What a reuser of the downloads must honour: each source's licence and the licence of the whole."""
    sources = list(Source.objects.filter(records__place__in=queries.search()).distinct().order_by("name"))
    return {
        "sources": [{**source_summary(s), "licence_id": licence_rules.describe(s)["id"],
                     "share_alike": licence_rules.describe(s)["share_alike"]} for s in sources],
        "licence_of_whole": whole_licence(sources),
        "attribution": " ; ".join(s.attribution for s in sources),
    }
