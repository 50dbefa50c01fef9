"""Benchmark: recycled-announcement search (`tilios.policy.services.recycled`) over 10⁴ and 10⁵
synthetic French announcements, with planted near-duplicates and paraphrases of known truth.

    .venv/bin/python bench/recycled.py [--sizes 10000 100000] [--queries 200] [--postgres]
    .venv/bin/python bench/recycled.py --archive [--postgres]   # the archive's real, labelled reprises

Each size gets a fresh database with the real schema (`tilios migrate`) in a temporary directory
(SQLite) or a scratch database (PostgreSQL). Announcements are bulk-inserted, then indexed the way
`services.refresh_index` does (figures extracted from the text, MinHash band hashes) but in bulk.
About 5 % are planted: near-duplicates of an earlier announcement (a few words changed, a sentence
added or dropped, a later date) and paraphrases (the same figures, object and territory in another
template). 200 queries — half planted, half ordinary announcements — are timed one by one through
`services.recycled()` (median, p95), and scored against the truth: a query's true matches are the
earlier members of its family. Results go to bench/out/recycled.md.
"""
import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "tilios_bench_recycled"
PLANTED = 0.05

ACTORS = ["L'État", "Le gouvernement", "La région {region}", "Le département {dep}", "La métropole de {city}",
          "La communauté de communes du {pays}", "La ville de {city}", "L'ANCT", "La Banque des territoires",
          "Le ministère de la Cohésion des territoires", "Le conseil régional", "La préfecture de {dep}"]
REGIONS = ["Bretagne", "Normandie", "Occitanie", "Grand Est", "Hauts-de-France", "Nouvelle-Aquitaine",
           "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Centre-Val de Loire", "Pays de la Loire",
           "Provence-Alpes-Côte d'Azur", "Île-de-France", "Corse"]
DEPS = ["Loire", "Ardèche", "Creuse", "Cantal", "Gers", "Lot", "Manche", "Orne", "Vosges", "Jura", "Ain", "Aude",
        "Ariège", "Aveyron", "Corrèze", "Dordogne", "Drôme", "Finistère", "Morbihan", "Nièvre", "Sarthe", "Yonne",
        "Haute-Loire", "Lozère", "Meuse", "Indre", "Cher", "Allier", "Tarn", "Landes"]
CITIES = ["Saint-Étienne", "Lyon", "Lille", "Nantes", "Rennes", "Brest", "Limoges", "Tulle", "Aurillac", "Rodez",
          "Albi", "Mende", "Guéret", "Nevers", "Épinal", "Chaumont", "Vesoul", "Lons-le-Saunier", "Privas", "Auch"]
PAYS = ["Haut-Forez", "Pilat", "Vercors", "Morvan", "Livradois", "Perche", "Bocage", "Quercy", "Ségala", "Diois"]
OBJECTS = ["tiers-lieux", "fablabs", "espaces de coworking", "télécentres", "fabriques de territoire",
           "conseillers numériques", "lieux de médiation numérique", "espaces publics numériques", "ateliers partagés",
           "campus connectés", "maisons France services", "micro-folies", "friches culturelles", "cafés associatifs"]
VERBS = ["annonce", "lance", "déploie", "finance", "soutient", "accompagne", "promet", "confirme", "prévoit"]
PURPOSES = ["pour revitaliser les centres-bourgs", "afin de lutter contre la fracture numérique",
            "pour rapprocher l'emploi des habitants", "pour accueillir les télétravailleurs",
            "afin de former les jeunes aux métiers du numérique", "pour soutenir l'économie sociale et solidaire",
            "pour redonner vie aux friches industrielles", "afin de mailler les territoires ruraux",
            "pour accompagner la transition écologique", "afin de favoriser la coopération entre acteurs locaux"]
EXTRA = ["Un comité de pilotage se réunira chaque trimestre.", "Les candidatures sont ouvertes jusqu'à l'automne.",
         "Les porteurs de projet seront accompagnés par un réseau régional.",
         "Une évaluation indépendante sera publiée à mi-parcours.",
         "Les collectivités pourront cofinancer les investissements.",
         "La priorité ira aux communes de moins de 3 500 habitants.",
         "Un appel à manifestation d'intérêt sera publié dans les prochaines semaines.",
         "Les lieux devront proposer une offre de services ouverte à tous.",
         "Les crédits seront engagés sur plusieurs exercices budgétaires.",
         "Une plateforme en ligne recensera les lieux soutenus.", "Les réseaux départementaux seront associés.",
         "Chaque lieu recevra un accompagnement de trois ans."]
TEMPLATES = [
    "{actor} {verb} un plan de {amount} pour créer {count} {object} {where} d'ici {year}, {purpose}.",
    "Doté de {amount}, le programme vise à ouvrir {count} {object} {where} à l'horizon {year}.",
    "{count} {object} seront soutenus {where} avant {year} : {actor_l} y consacre {amount}.",
    "Objectif : {count} {object} {where} d'ici {year}. L'enveloppe atteint {amount}, {purpose}.",
    "{actor} {verb} {amount} en faveur des {object}. Il s'agit d'en labelliser {count} {where} d'ici {year}.",
    "Avec {amount}, {actor_l} compte accompagner {count} {object} {where} jusqu'en {year} {purpose}.",
    "Un appel à projets doté de {amount} doit faire émerger {count} {object} {where} d'ici {year}.",
    "{actor} {verb} la création de {count} {object} {where}, financés à hauteur de {amount}, avant {year}.",
]


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def _amount(rng):
    kind = rng.random()
    if kind < 0.4:
        return f"{rng.randint(2, 950)} millions d'euros"
    if kind < 0.7:
        return f"{rng.randint(10, 999)} {rng.randint(0, 999):03d} euros"
    return f"{rng.randint(1, 99)},{rng.randint(1, 9)} millions d'euros"


def _slots(rng):
    actor = rng.choice(ACTORS).format(region=rng.choice(REGIONS), dep=rng.choice(DEPS), city=rng.choice(CITIES),
                                      pays=rng.choice(PAYS))
    where = rng.choice(["en " + rng.choice(REGIONS), "dans le département de la " + rng.choice(DEPS),
                        "sur le territoire de " + rng.choice(CITIES), "dans le " + rng.choice(PAYS),
                        "dans les quartiers prioritaires", "dans les zones rurales", "partout en France"])
    return {"actor": actor, "actor_l": actor[0].lower() + actor[1:], "verb": rng.choice(VERBS),
            "amount": _amount(rng), "count": int(math.exp(rng.uniform(math.log(3), math.log(1500)))), "object": rng.choice(OBJECTS), "where": where,
            "year": rng.randint(2006, 2032), "purpose": rng.choice(PURPOSES)}


def _text(rng, slots, template=None):
    body = (template or rng.choice(TEMPLATES)).format(**slots)
    body = body[0].upper() + body[1:]
    extras = rng.sample(EXTRA, rng.randint(1, 3))
    return " ".join([body, *extras])


def _near_duplicate(rng, text):
    """A few words changed, a sentence added or dropped, a lead-in: what a press office does."""
    words = text.split()
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        words[i] = rng.choice(["nouveaux", "importants", "ambitieux", "locaux", "durables", words[i]])
    out = " ".join(words)
    choice = rng.random()
    if choice < 0.35:
        out = rng.choice(["Comme annoncé, ", "Pour rappel, ", "Le gouvernement le confirme : "]) + out
    elif choice < 0.7:
        out = out + " " + rng.choice(EXTRA)
    sentences = out.split(". ")
    if len(sentences) > 2 and rng.random() < 0.3:
        sentences.pop(rng.randrange(1, len(sentences)))
        out = ". ".join(sentences)
    return out


def corpus(n, seed=2018):
    """[(made_on, title, text, family)] — family is the index of the original, or None."""
    rng = random.Random(seed)
    start = dt.date(2005, 1, 1).toordinal()
    rows, slots_of = [], []
    n_planted = int(n * PLANTED)
    originals = n - n_planted
    for i in range(originals):
        slots = _slots(rng)
        made_on = dt.date.fromordinal(start + rng.randint(0, 19 * 365))
        rows.append([made_on, f"Annonce {i}", _text(rng, slots), None, "original"])
        slots_of.append(slots)
    for _ in range(n_planted):
        source = rng.randrange(originals)
        made_on = rows[source][0] + dt.timedelta(days=rng.randint(1, 1500))
        if rng.random() < 0.6:
            rows.append([made_on, f"Reprise de {source}", _near_duplicate(rng, rows[source][2]), source, "near"])
        else:  # the same figures, object and place, said with another template and other words
            slots = dict(slots_of[source], actor=rng.choice(ACTORS).format(
                region=rng.choice(REGIONS), dep=rng.choice(DEPS), city=rng.choice(CITIES), pays=rng.choice(PAYS)),
                verb=rng.choice(VERBS), purpose=rng.choice(PURPOSES))
            slots["actor_l"] = slots["actor"][0].lower() + slots["actor"][1:]
            rows.append([made_on, f"Paraphrase de {source}", _text(rng, slots), source, "paraphrase"])
    return rows


# --- Worker: runs inside one engine's environment --------------------------------------------------

def worker(n, n_queries):
    import django

    django.setup()
    from django.db import connection, transaction

    from tilios.policy import figures as figures_mod
    from tilios.policy import recycling, services
    from tilios.policy.models import Announcement, Figure, TextSignature

    t0 = time.perf_counter()
    rows = corpus(n)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    objs = [Announcement(made_on=d, title=title, text=text, source_url="https://example.org/bench",
                         is_published=True) for d, title, text, _f, _k in rows]
    with transaction.atomic():
        created = Announcement.objects.bulk_create(objs, batch_size=2000)
    ids = [a.pk for a in created]
    t_insert = time.perf_counter() - t0
    # Index in bulk: the same figures and band hashes `services.refresh_index` stores, one row set at a time.
    t0 = time.perf_counter()
    figs, sigs = [], []
    with transaction.atomic():
        for pk, (made_on, _t, text, _f, _k) in zip(ids, rows):
            for f in figures_mod.extract(text, on=made_on):
                figs.append(Figure(announcement_id=pk, kind=f.kind, value=f.value, high=f.high, unit=f.unit,
                                   text=f.text[:200],
                                   start=f.start, end=f.end, key=f.key()))
            for band, value in recycling.band_hashes(recycling.minhash(recycling.shingles(text))):
                sigs.append(TextSignature(announcement_id=pk, band=band, hash=value))
            if len(sigs) > 64000:
                Figure.objects.bulk_create(figs, batch_size=5000)
                TextSignature.objects.bulk_create(sigs, batch_size=5000)
                figs, sigs = [], []
        Figure.objects.bulk_create(figs, batch_size=5000)
        TextSignature.objects.bulk_create(sigs, batch_size=5000)
    t_index = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # Truth: the families (an original and the announcements planted from it).
    family = {}
    for i, row in enumerate(rows):
        family.setdefault(row[3] if row[3] is not None else i, []).append(i)
    key_of = {i: (row[3] if row[3] is not None else i) for i, row in enumerate(rows)}
    rng = random.Random(7)
    planted = [i for i, row in enumerate(rows) if row[3] is not None]
    ordinary = [i for i, row in enumerate(rows) if row[3] is None]
    queries = rng.sample(planted, n_queries // 2) + rng.sample(ordinary, n_queries - n_queries // 2)
    index_of = {pk: i for i, pk in enumerate(ids)}
    by_kind = {}
    times, candidates = [], []
    tp = fp = fn = found_sources = 0
    services.recycled(Announcement.objects.get(pk=ids[queries[0]]))  # warm-up
    for q in queries:
        announcement = Announcement.objects.get(pk=ids[q])
        t = time.perf_counter()
        matches = services.recycled(announcement, limit=1000)
        times.append((time.perf_counter() - t) * 1000)
        found = {index_of[m.other.pk] for m in matches}
        # Required: the original a planted announcement was made from. Allowed: any earlier member of
        # its family (two reprises of one original may well repeat each other). Anything else is wrong.
        required = {rows[q][3]} if rows[q][3] is not None else set()
        allowed = {j for j in family[key_of[q]] if j != q and rows[j][0] <= rows[q][0]}
        k = by_kind.setdefault(rows[q][4], [0, 0, 0])
        hits, wrong, missed = len(found & allowed), len(found - allowed), len(required - found)
        k[0], k[1], k[2] = k[0] + len(required & found), k[1] + wrong, k[2] + missed
        tp, fp, fn = tp + hits, fp + wrong, fn + missed
        found_sources += len(required & found)
        candidates.append(len(found))
    times.sort()
    out = {"n": len(rows), "planted": len(planted), "queries": len(queries), "figures": Figure.objects.count(),
           "generate_s": t_gen, "insert_s": t_insert, "index_s": t_index,
           "median_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))],
           "max_ms": times[-1], "precision": tp / max(tp + fp, 1),
           "recall": found_sources / max(found_sources + fn, 1),
           "tp": tp, "fp": fp, "fn": fn,
           "by_kind": {k: {"tp": v[0], "fp": v[1], "fn": v[2]} for k, v in by_kind.items()}}
    print(json.dumps(out))


# The labelled families the promise-level rule was designed on; the others are held out to measure it.
TUNING_FAMILIES = ["300 Fabriques de territoire d'ici 2022, 45 millions d'euros",
                   "Nouvelle-Aquitaine : environ 300 tiers-lieux en 2020", "1 000 Micro-Folies d'ici 2022"]


def worker_archive():
    """The seeded archive's real announcements, scored against the reprises its file labels (`repeats`)."""
    import django

    django.setup()
    from tilios.policy import services
    from tilios.policy.models import Announcement
    from tilios.policy.seed import archive, seed

    seed()
    labelled = {(a["title"], earlier) for a in archive()["announcements"] for earlier in a.get("repeats", [])}
    # Families: announcements linked by labelled reprises. Two reprises of one original may repeat each
    # other, as in the synthetic corpus; a found pair is right when both ends are of one family.
    family = {}

    def root(title):
        while family.get(title, title) != title:
            title = family[title]
        return title

    for later, earlier in labelled:
        family[root(later)] = root(earlier)
    found = set()
    for announcement in Announcement.objects.all():
        found |= {(announcement.title, m.other.title) for m in services.recycled(announcement, limit=1000)}
    right = {(a, b) for a, b in found if root(a) == root(b) and (a, b) != (root(a), root(a))}
    recalled = labelled & found
    tuning = {root(title) for title in TUNING_FAMILIES}
    split = {}
    for name, pairs in (("tuning", {p for p in labelled if root(p[0]) in tuning}),
                        ("held_out", {p for p in labelled if root(p[0]) not in tuning})):
        split[name] = {"labelled": len(pairs), "recalled": len(pairs & found)}
    print(json.dumps({"announcements": Announcement.objects.count(), "labelled": len(labelled),
                      "found": len(found), "hits": len(right), "recalled": len(recalled), "split": split,
                      "precision": len(right) / max(len(found), 1), "recall": len(recalled) / max(len(labelled), 1),
                      "missed": sorted(labelled - found), "wrong": sorted(found - right)}, ensure_ascii=False))


# --- Orchestration ---------------------------------------------------------------------------------

def tilios(env, *args):
    subprocess.run([sys.executable, "-m", "tilios.cli", *args], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)


def run(engine, n, n_queries, tmp):
    """One size on one engine; n = 0 scores the seeded archive's real announcements instead."""
    var_dir = Path(tmp) / f"{engine}-{n}"
    var_dir.mkdir()
    env = {**os.environ, "TILIOS_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "tilios.settings"}
    env.pop("TILIOS_DATABASE_URL", None)
    if engine == "PostgreSQL":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            admin.execute(f"CREATE DATABASE {PG_DB}")
        env["TILIOS_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    t = time.perf_counter()
    tilios(env, "migrate", "-v0")
    log(f"{engine} {n}: migrated in {time.perf_counter() - t:.0f} s; building and measuring")
    command = ["--archive-worker"] if n == 0 else ["--worker", str(n), "--queries", str(n_queries)]
    done = subprocess.run([sys.executable, __file__, *command], env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["engine"] = engine
    log(f"{engine} {n}: {json.dumps(result)}")
    return result


def report_archive(results):
    lines = ["Real announcements of the seeded archive (tilios/data/policy-archive), each one searched with "
             "`services.recycled()`, scored against the reprises the file labels (`repeats`, set before any tuning "
             "on them): a found pair is right when both announcements belong to one labelled family (an "
             "original and its reprises); recall is the share of labelled pairs found.", "", "| engine | announcements | labelled reprises | pairs found | right | labelled found | precision | recall "
             "| recall, tuning families | recall, held-out families |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        t, h = r["split"]["tuning"], r["split"]["held_out"]
        lines.append(f"| {r['engine']} | {r['announcements']} | {r['labelled']} | {r['found']} | {r['hits']} | "
                     f"{r['recalled']} | {r['precision']:.2f} | {r['recall']:.2f} | "
                     f"{t['recalled']}/{t['labelled']} = {t['recalled'] / max(t['labelled'], 1):.2f} | "
                     f"{h['recalled']}/{h['labelled']} = {h['recalled'] / max(h['labelled'], 1):.2f} |")
    first = results[0]
    lines += ["", "Missed: " + "; ".join(f"« {a} » → « {b} »" for a, b in first["missed"]),
              "", "Found but not labelled: " + ("; ".join(f"« {a} » → « {b} »" for a, b in first["wrong"]) or "none")]
    return "\n".join(lines)


def report(results, n_queries):
    lines = [f"Recycled-announcement search, `services.recycled()` per query, {n_queries} queries "
             f"(half planted duplicates, half ordinary announcements), {dt.date.today()}", "",
             "| engine | announcements | planted | figures | insert s | index s | median ms | p95 ms | max ms "
             "| precision | recall | near-dup recall | paraphrase recall |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        def recall(kind):
            k = r["by_kind"].get(kind)
            return f"{k['tp'] / max(k['tp'] + k['fn'], 1):.3f}" if k else "—"
        lines.append(f"| {r['engine']} | {r['n']:,} | {r['planted']:,} | {r['figures']:,} | {r['insert_s']:.1f} | "
                     f"{r['index_s']:.0f} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | "
                     f"{r['precision']:.3f} | {r['recall']:.3f} | {recall('near')} | {recall('paraphrase')} |")
    lines += ["", "Precision: share of returned announcements that belong to the query's family (its original or "
              "another reprise of it, earlier). Recall: share of planted queries whose original was returned. "
              "Counts (family matches / wrong matches / originals missed): " + "; ".join(
        f"{r['engine']} {r['n']:,}: {r['tp']} / {r['fp']} / {r['fn']}" for r in results)]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument("--archive", action="store_true",
                        help="score the seeded archive's real announcements against their labelled reprises")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--archive-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.queries)
    if args.archive_worker:
        return worker_archive()
    results = []
    sizes = [0] if args.archive else args.sizes
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ["SQLite"] + (["PostgreSQL"] if args.postgres else []):
            for n in sizes:
                results.append(run(engine, n, args.queries, tmp))
    text = report_archive(results) if args.archive else report(results, args.queries)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ("recycled-archive.md" if args.archive else "recycled.md")).write_text(text + "\n", encoding="utf-8")
    if args.postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
