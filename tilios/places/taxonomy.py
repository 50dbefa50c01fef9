"""What a place offers, on what terms and to whom: the versioned vocabularies of `services`, `access` and
`audiences`.

Labels are data, in French and English (as kinds' are). Codes are stable: a term renamed keeps its code, a term withdrawn stays readable in old revisions. Each term
says which labels of the médiation numérique standard (LaMednum « schéma des lieux de médiation numérique »:
`services`, `modalites_accompagnement`, `conditions_acces` / `frais_a_charge`, `publics_accueillis`) and
which OpenStreetMap tags mean it, so importers read sources through it; what they cannot read is kept on
the place for review (`unrecognised`), never dropped.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from tilios.text import fold

VERSION = "2026-12"


@dataclass(frozen=True)
class Term:
    label: str
    label_en: str
    group: str = ""
    mednum: tuple = ()  # the standard's labels (the part before « : », compared folded)


MEDIATION, EQUIPMENT = "mediation", "equipment"
GROUPS = {MEDIATION: _("Accompagnement au numérique"), EQUIPMENT: _("Équipements et services")}

SERVICES = {
    # The médiation numérique standard's services, and its ways of being helped (modalites_accompagnement).
    "prise-en-main-ordinateur": Term("Prendre en main un ordinateur", "Getting started with a computer", MEDIATION,
                                     ("Prendre en main un ordinateur",)),
    "prise-en-main-smartphone": Term("Prendre en main un smartphone ou une tablette",
                                     "Getting started with a smartphone or tablet", MEDIATION,
                                     ("Prendre en main un smartphone ou une tablette",)),
    "numerique-quotidien": Term("Utiliser le numérique au quotidien", "Everyday digital life", MEDIATION,
                                ("Utiliser le numérique au quotidien",)),
    "culture-numerique": Term("Approfondir sa culture numérique", "Digital culture", MEDIATION,
                              ("Approfondir ma culture numérique",)),
    "demarches-accompagnees": Term("Démarches administratives accompagnées", "Assisted online formalities",
                                   MEDIATION, ("Réaliser des démarches administratives avec un accompagnement",)),
    "demarches-autonomie": Term("Devenir autonome dans les démarches administratives",
                                "Becoming independent with online formalities", MEDIATION,
                                ("Devenir autonome dans les démarches administratives",)),
    "demarches-sante": Term("Démarches de santé", "Health formalities", MEDIATION,
                            ("Accompagner les démarches de santé",)),
    "citoyennete-numerique": Term("Citoyenneté numérique", "Digital citizenship", MEDIATION,
                                  ("Promouvoir la citoyenneté numérique",)),
    "insertion-professionnelle": Term("Insertion professionnelle", "Finding work", MEDIATION,
                                      ("Favoriser mon insertion professionnelle",)),
    "creation-numerique": Term("Créer avec le numérique", "Digital creation", MEDIATION,
                               ("Créer avec le numérique",)),
    "entreprise": Term("Créer et développer son entreprise", "Starting and growing a business", MEDIATION,
                       ("Créer et développer mon entreprise",)),
    "parentalite": Term("Parentalité et éducation au numérique", "Parenting and education", MEDIATION,
                        ("Soutenir la parentalité et l'éducation avec le numérique",)),
    "equipement-informatique": Term("S'équiper en matériel informatique", "Getting computer equipment",
                                    MEDIATION, ("S'équiper en matériel informatique",)),
    "accompagnement-individuel": Term("Accompagnement individuel", "One-to-one help", MEDIATION,
                                      ("Avec de l'aide",)),
    "ateliers-collectifs": Term("Ateliers collectifs", "Group workshops", MEDIATION, ("Dans un atelier",)),
    "aidant-habilite": Term("Démarches faites à votre place (aidant habilité)",
                            "Formalities done for you (authorised helper)", MEDIATION, ("A ma place",)),
    # What a place lends or provides.
    "internet": Term("Connexion internet, wifi", "Internet access, wifi", EQUIPMENT,
                     ("Accéder à une connexion internet",)),
    "materiel": Term("Matériel en libre accès", "Equipment to use on site", EQUIPMENT,
                     ("Accéder à du matériel", "Seul")),
    "salle-reunion": Term("Salle de réunion", "Meeting room", EQUIPMENT),
    "cabine-telephonique": Term("Cabine téléphonique, visio", "Phone booth, video calls", EQUIPMENT),
    "impression": Term("Impression, numérisation", "Printing, scanning", EQUIPMENT),
    "fabrication-numerique": Term("Machines de fabrication numérique (impression 3D, découpe laser…)",
                                  "Digital fabrication machines (3D printing, laser cutting…)", EQUIPMENT),
    "outillage": Term("Atelier et outillage (bois, métal, textile…)", "Workshop and tools (wood, metal, textile…)",
                      EQUIPMENT),
    "cafe": Term("Café, restauration", "Café, food", EQUIPMENT),
    "garde-enfants": Term("Garde d'enfants", "Childcare", EQUIPMENT),
    "hebergement": Term("Hébergement", "Accommodation", EQUIPMENT),
    "domiciliation": Term("Domiciliation d'entreprise", "Business address", EQUIPMENT),
}

ACCESS = {
    "gratuit": Term("Gratuit", "Free", mednum=("Gratuit",)),
    "gratuit-sous-condition": Term("Gratuit sous condition", "Free on conditions", mednum=("Gratuit sous condition",)),
    "payant": Term("Payant", "Paid", mednum=("Payant",)),
    "adhesion": Term("Sur adhésion", "Membership", mednum=("Adhésion",)),
    "pass-numerique": Term("Accepte le Pass numérique", "Pass numérique accepted",
                           mednum=("Accepte le Pass numérique", "Pass numérique")),
    "sur-rendez-vous": Term("Sur rendez-vous", "By appointment", mednum=("Sur rendez-vous",)),
}

AUDIENCES = {
    "adultes": Term("Adultes", "Adults", mednum=("Adultes",)),
    "seniors": Term("Seniors (65 ans et plus)", "Seniors (65+)", mednum=("Seniors (+ 65 ans)", "Seniors")),
    "jeunes": Term("Jeunes (16-26 ans)", "Young people (16-26)", mednum=("Jeunes (16-26 ans)", "Jeunes")),
    "familles": Term("Familles, enfants", "Families, children", mednum=("Familles/enfants", "Familles")),
    "illettrisme": Term("Personnes en situation d'illettrisme", "People with literacy difficulties",
                        mednum=("Personnes en situation d'illettrisme",)),
    "langues-etrangeres": Term("Personnes parlant d'autres langues", "Speakers of other languages",
                               mednum=("Public langues étrangères",)),
    "handicap-mental": Term("Handicaps mentaux", "Intellectual disabilities", mednum=("Handicaps mentaux",)),
    "surdite": Term("Surdité", "Deafness", mednum=("Surdité",)),
    "deficience-visuelle": Term("Déficience visuelle", "Visual impairment", mednum=("Déficience visuelle",)),
}

VOCABULARIES = {"services": SERVICES, "access": ACCESS, "audiences": AUDIENCES}

# OpenStreetMap tags: tag → {value: (vocabulary, code)}.
OSM_TAGS = {
    "internet_access": {"wlan": ("services", "internet"), "yes": ("services", "internet"),
                        "wired": ("services", "internet"), "terminal": ("services", "materiel")},
    "fee": {"yes": ("access", "payant"), "no": ("access", "gratuit")},
}
# Wheelchair access, as OSM's `wheelchair` tag says it (the place's field takes its choices from here).
WHEELCHAIR = {"yes": _("oui"), "limited": _("en partie"), "no": _("non")}


# Version 1 of the médiation numérique standard (schema v1.0.2) has closed lists, coarser than these
# vocabularies: vocabulary -> [(the standard's column, its label, the terms published under it)]. A label
# of the standard is read as the first term listed; the others are narrower terms the standard does not
# tell apart (published under that label, read back as the first).
MEDNUM_V1 = {
    "services": [
        ("services", "Aide aux démarches administratives",
         ("demarches-accompagnees", "demarches-autonomie", "demarches-sante")),
        ("services", "Maîtrise des outils numériques du quotidien",
         ("numerique-quotidien", "prise-en-main-ordinateur", "prise-en-main-smartphone")),
        ("services", "Insertion professionnelle via le numérique", ("insertion-professionnelle", "entreprise")),
        ("services", "Parentalité et éducation avec le numérique", ("parentalite",)),
        ("services", "Loisirs et créations numériques", ("creation-numerique",)),
        ("services", "Compréhension du monde numérique", ("culture-numerique", "citoyennete-numerique")),
        ("services", "Accès internet et matériel informatique", ("internet",)),
        ("services", "Acquisition de matériel informatique à prix solidaire", ("equipement-informatique",)),
        ("modalites_accompagnement", "En autonomie", ("materiel",)),
        ("modalites_accompagnement", "Accompagnement individuel", ("accompagnement-individuel",)),
        ("modalites_accompagnement", "Dans un atelier collectif", ("ateliers-collectifs",)),
        ("dispositif_programmes_nationaux", "Aidants Connect", ("aidant-habilite",)),
    ],
    "access": [
        ("frais_a_charge", "Gratuit", ("gratuit",)),
        ("frais_a_charge", "Gratuit sous condition", ("gratuit-sous-condition", "pass-numerique")),
        ("frais_a_charge", "Payant", ("payant", "adhesion")),
    ],
    "audiences": [
        ("publics_specifiquement_adresses", "Jeunes", ("jeunes",)),
        ("publics_specifiquement_adresses", "Familles et/ou enfants", ("familles",)),
        ("publics_specifiquement_adresses", "Seniors", ("seniors",)),
        ("prise_en_charge_specifique", "Surdité", ("surdite",)),
        ("prise_en_charge_specifique", "Handicaps mentaux", ("handicap-mental",)),
        ("prise_en_charge_specifique", "Illettrisme", ("illettrisme",)),
        ("prise_en_charge_specifique", "Langues étrangères (autres)", ("langues-etrangeres",)),
        ("prise_en_charge_specifique", "Langues étrangères (anglais)", ("langues-etrangeres",)),
        ("prise_en_charge_specifique", "Déficience visuelle", ("deficience-visuelle",)),
    ],
}


def mednum_v1_label(vocabulary, code):
    """(column, label) under which the standard's version 1 publishes the term `code`, or None."""
    return next(((column, label) for column, label, codes in MEDNUM_V1[vocabulary] if code in codes), None)


def _index(vocabulary):
    index = {fold(label): codes[0] for _column, label, codes in MEDNUM_V1[vocabulary]}
    index.update({fold(label): code for code, term in VOCABULARIES[vocabulary].items() for label in term.mednum})
    return index


_INDEXES = {name: _index(name) for name in VOCABULARIES}


def read_labels(vocabulary, cell, separator=";"):
    """Codes for the standard's labels in `cell` (« Gratuit : Je peux accéder… » is read by the part before
    the colon) and the values not understood, as given."""
    codes, unknown = [], []
    for value in (cell or "").split(separator):
        value = value.strip()
        if not value:
            continue
        code = _INDEXES[vocabulary].get(fold(value)) or _INDEXES[vocabulary].get(fold(value.split(" : ")[0].strip()))
        if code is None and value in VOCABULARIES[vocabulary]:
            code = value  # already a code
        if code:
            codes.append(code)
        else:
            unknown.append(value[:200])
    return list(dict.fromkeys(codes)), unknown


def label(vocabulary, code, language="fr"):
    term = VOCABULARIES[vocabulary].get(code)
    if term is None:
        return code
    return term.label_en if (language or "").startswith("en") else term.label


def choices(vocabulary, language="fr"):
    return [(code, label(vocabulary, code, language)) for code in VOCABULARIES[vocabulary]]
