"""The entries the commons' own discussion (Movilab, 2018) and the press already document.

Each one carries its source; figures are extracted from the quoted text. Loaded with the demo data.
"""
import datetime

from tilios.revisions import services as revisions

from .models import Actor, Announcement, Outcome, Programme, Promise

D = datetime.date
MOVILAB = "https://movilab.org/wiki/Discussion:Mission_Coworking:_territoires,_travail,_num%C3%A9rique"
MOVILAB_TITLE = "Discussion:Mission Coworking: territoires, travail, numérique (Movilab, 24 septembre 2018)"

ACTORS = [("DATAR / DIACT", "state"), ("Gouvernement (État)", "state"), ("ANCT", "state"),
          ("Région Provence-Alpes-Côte d'Azur", "region"), ("France Tiers-Lieux", "network")]

PROGRAMMES = [
    ("datar-telecentres-2005", "Appel à projets télécentres de la DATAR", "call", D(2005, 1, 1), D(2007, 12, 31),
     ["DATAR / DIACT"], "Appel à projets de 2005 pour des télécentres en milieu rural."),
    ("nouveaux-lieux-nouveaux-liens", "Nouveaux lieux, nouveaux liens — Fabriques de territoire", "programme",
     D(2019, 6, 17), None, ["Gouvernement (État)", "ANCT"],
     "Programme interministériel lancé le 17 juin 2019 pour soutenir les tiers-lieux, dont le dispositif "
     "« Fabriques de territoire » opéré par l'ANCT avec France Tiers-Lieux."),
]

# (programme slug, date, title, text, actors, territory, source url, source title, page, promises, outcomes)
ANNOUNCEMENTS = [
    ("datar-telecentres-2005", D(2005, 1, 1), "Objectif de 100 télécentres pour 1 000 emplois",
     "Au travers d’un appel à projet en 2005, la DATAR (à l’époque la DIACT) fixait un objectif de 100 "
     "télécentres accueillant 1000 emplois à l’horizon 2007. Les projets localisés pouvaient recevoir "
     "20 000 euros pour quatre postes de travail.",
     ["DATAR / DIACT"], "", MOVILAB, MOVILAB_TITLE, "",
     [("télécentres ouverts", 100, "télécentres", D(2007, 12, 31)),
      ("emplois accueillis dans les télécentres", 1000, "emplois", D(2007, 12, 31))],
     {0: [(35, D(2011, 1, 31), MOVILAB, "Début 2011, 35 télécentres en zone de revitalisation rurale étaient "
                                        "opérationnels.")]}),
    (None, D(2018, 9, 13), "Plan national pour un numérique inclusif",
     "L’État s’attaque à l’illectronisme en formant 13 millions de Français, avec 100 millions d'€.",
     ["Gouvernement (État)"], "", MOVILAB, MOVILAB_TITLE + ", d'après Numerama", "", [], {}),
    (None, D(2018, 1, 1), "SRADDET : favoriser la création de tiers-lieux",
     "Le SRADDET pose les conditions de déploiement de la stratégie régionale économique, notamment en "
     "confortant la mixité fonctionnelle des espaces urbains en favorisant la création de tiers lieux "
     "(espaces de coworking, bureaux partagés, fab lab).",
     ["Région Provence-Alpes-Côte d'Azur"], "93", MOVILAB, MOVILAB_TITLE, "", [], {}),
    ("nouveaux-lieux-nouveaux-liens", D(2019, 6, 17), "300 Fabriques de territoire d'ici 2022, 45 millions d'euros",
     "Doté de 45 millions d’euros, le programme « Nouveaux lieux, nouveaux liens » vise à pérenniser le "
     "fonctionnement des tiers-lieux. Le gouvernement lance un appel à manifestation d’intérêt permanent "
     "pour identifier 300 Fabriques de territoire existantes ou en projet, d’ici 2022 : 150 fabriques hors "
     "des grands pôles urbains et 150 dans les quartiers prioritaires de la politique de la ville.",
     ["Gouvernement (État)"], "", "https://villes-internet.net/site/letat-investit-dans-les-tiers-lieux",
     "L’État investit dans les tiers-lieux (Villes Internet, 2019)", "",
     [("Fabriques de territoire labellisées", 300, "fabriques", D(2022, 12, 31))],
     {0: [(300, D(2021, 12, 31),
           "https://www.ecologie.gouv.fr/soutien-du-gouvernement-aux-tiers-lieux-82-nouvelles-fabriques-"
           "territoires-dans-toute-france",
           "Le dispositif a permis de labelliser et subventionner 300 tiers-lieux entre 2020 et 2021, pour un "
           "total de 45 millions d’euros (ministère, 10 novembre 2023).")]}),
    ("nouveaux-lieux-nouveaux-liens", D(2023, 9, 11), "Nouvelle vague : 80 projets de tiers-lieux en 2023",
     "80 projets seront retenus sur tout le territoire pour un soutien forfaitaire par projet de 50 000 euros "
     "en 2023.",
     ["Gouvernement (État)"], "",
     "https://blog.landot-avocats.net/2023/09/13/fabrique-des-territoires-une-nouvelle-vague-de-selection-de-80-tiers-lieux/",
     "Fabrique des territoires : une nouvelle vague de sélection de 80 tiers-lieux", "",
     [("nouvelles Fabriques de territoire", 80, "fabriques", D(2023, 12, 31))],
     {0: [(82, D(2023, 11, 9),
           "https://www.ecologie.gouv.fr/soutien-du-gouvernement-aux-tiers-lieux-82-nouvelles-fabriques-"
           "territoires-dans-toute-france", "82 nouvelles fabriques lauréates annoncées le 9 novembre 2023.")]}),
]


def _create(model, data, summary):
    record, _revision = revisions.create(model, data, None, summary, system=True)
    return record


def seed():
    """Load the archive's first entries; does nothing if the archive already has announcements."""
    if Announcement.objects.exists():
        return 0
    summary = "Amorce de l'archive (discussion Movilab 2018 et presse)"
    actors = {name: _create(Actor, {"name": name, "kind": kind}, summary) for name, kind in ACTORS}
    programmes = {}
    for slug, name, kind, start, end, actor_names, description in PROGRAMMES:
        programmes[slug] = _create(Programme, {"slug": slug, "name": name, "kind": kind, "started_on": start,
                                               "ended_on": end, "description": description,
                                               "actors": [actors[a].pk for a in actor_names]}, summary)
    for (slug, day, title, text, actor_names, territory, url, source_title, page, promises,
         outcomes) in ANNOUNCEMENTS:
        announcement = _create(Announcement, {
            "made_on": day, "title": title, "text": text, "territory_code": territory,
            "programme": programmes[slug].pk if slug else None, "source_url": url, "source_title": source_title,
            "source_page": page, "actors": [actors[a].pk for a in actor_names]}, summary)
        for index, (metric, target, unit, deadline) in enumerate(promises):
            promise = _create(Promise, {"announcement": announcement.pk, "programme": programmes[slug].pk if slug
                                        else None, "metric": metric, "target_value": target, "unit": unit,
                                        "deadline": deadline, "quote": text}, summary)
            for value, measured_on, source, note in outcomes.get(index, []):
                _create(Outcome, {"promise": promise.pk, "value": value, "measured_on": measured_on,
                                  "source_url": source, "note": note}, summary)
    return Announcement.objects.count()
