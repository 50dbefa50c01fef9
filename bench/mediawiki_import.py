"""Benchmark: `tilios import mediawiki` on a synthetic Movilab-like export, on SQLite and on PostgreSQL.

    .venv/bin/python bench/mediawiki_import.py [--pages 250] [--revisions 20] [--engine sqlite|postgres|both]

The export (fixed seed) has `pages` French pages of `revisions` revisions each (5 000 by default),
each revision a ~2 kB wikitext with headings, bold and italics, nested lists, internal and external
links, a template with parameters, a table and a category, plus one talk page per ten pages. Each
engine runs in its own subprocess on a fresh, migrated database (no demo data); the import then runs
once more on the same file to time a re-import that finds nothing new. Prints seconds per 1 000
revisions.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "tilios_bench_mediawiki"
WORDS = ("tiers-lieu coworking fablab atelier communauté gouvernance commun formation animateur territoire "
         "numérique rural médiation coopérative recyclerie friche habitants projet bénévole").split()


def sentence(rng, n=14):
    words = [rng.choice(WORDS) for _ in range(max(n, 11))]
    words[3] = f"'''{words[3]}'''"
    words[7] = f"''{words[7]}''"
    words[10] = f"[[{words[10].capitalize()}]]"
    return " ".join(words).capitalize() + "."


def wikitext(rng, title, version):
    return f"""{{{{Fiche lieu
|nom={title}
|ville=Ville {rng.randint(1, 99)}
|version={version}
}}}}
{sentence(rng)} {sentence(rng)}

== Activités ==
* {sentence(rng, 6)}
* {sentence(rng, 6)}
** {sentence(rng, 5)}
# {sentence(rng, 5)}
# {sentence(rng, 5)}

== Chiffres ==
{{| class="wikitable"
! Année !! Usagers
|-
| 2017 || {rng.randint(1, 300)}
|-
| 2018 || {rng.randint(1, 300)}
|}}

{sentence(rng)} Voir [https://movilab.example/{rng.randint(1, 10**6)} la fiche] et [[Formation|les formations]].

== Historique ==
{" ".join(sentence(rng) for _ in range(6))}

[[Catégorie:{rng.choice(["Formation", "Tiers-lieux", "Fablab", "Coworking"])}]]
"""


def write_dump(path, pages, revisions):
    rng = random.Random(2018)
    rev_id = 1
    with open(path, "w", encoding="utf-8") as out:
        out.write('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="fr">\n'
                  "<siteinfo><sitename>Movilab</sitename><dbname>movilab_bench</dbname><case>first-letter</case>"
                  '<namespaces><namespace key="0" case="first-letter" /><namespace key="1" case="first-letter">'
                  'Discussion</namespace><namespace key="14" case="first-letter">Catégorie</namespace>'
                  "</namespaces></siteinfo>\n")
        for page in range(pages):
            title = f"Lieu {page} {rng.choice(WORDS)}"
            out.write(f"<page><title>{escape(title)}</title><ns>0</ns><id>{page + 1}</id>\n")
            for version in range(revisions):
                day = 1 + (version % 28)
                out.write(f"<revision><id>{rev_id}</id><timestamp>2018-{1 + version % 12:02d}-{day:02d}T10:00:00Z"
                          f"</timestamp><contributor><username>Contributeur {rng.randint(1, 80)}</username>"
                          f"<id>{rng.randint(1, 80)}</id></contributor><comment>modification {version}</comment>"
                          f'<model>wikitext</model><format>text/x-wiki</format><text xml:space="preserve">'
                          f"{escape(wikitext(rng, title, version))}</text></revision>\n")
                rev_id += 1
            out.write("</page>\n")
            if page % 10 == 0:
                talk = "\n".join(f"== Question {i} ==\n{sentence(rng)} [[Utilisateur:A|A]]\n:{sentence(rng)}"
                                 for i in range(3))
                out.write(f"<page><title>Discussion:{escape(title)}</title><ns>1</ns><id>{100000 + page}</id>"
                          f"<revision><id>{10**7 + page}</id><timestamp>2018-12-01T10:00:00Z</timestamp>"
                          f"<contributor><username>A</username><id>1</id></contributor>"
                          f'<text xml:space="preserve">{escape(talk)}</text></revision></page>\n')
        out.write("</mediawiki>\n")
    return rev_id - 1


def worker(path, revisions):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    django.setup()
    from django.core.management import call_command

    from tilios.pages.mediawiki import import_dump

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    summary = import_dump(path)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = import_dump(path)
    second = time.perf_counter() - started
    print(f"{summary.pages_created} pages, {summary.revisions_added} revisions, {summary.threads_created} threads: "
          f"{first:.1f} s = {1000 * first / revisions:.2f} s per 1 000 revisions; "
          f"re-import ({again.revisions_known} known, {again.revisions_added} added): {second:.1f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--revisions", type=int, default=20)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--worker", nargs=2, metavar=("DUMP", "REVISIONS"))
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "movilab.xml"
        total = write_dump(dump, args.pages, args.revisions)
        print(f"synthetic export: {args.pages} pages, {total} revisions, {dump.stat().st_size / 1e6:.1f} MB")
        for engine in (["sqlite", "postgres"] if args.engine == "both" else [args.engine]):
            env = {**os.environ, "TILIOS_VAR_DIR": tempfile.mkdtemp(dir=tmp), "PYTHONPATH": str(ROOT)}
            env.pop("TILIOS_DATABASE_URL", None)
            if engine == "postgres":
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
                    admin.execute(f"CREATE DATABASE {PG_DB}")
                env["TILIOS_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
            result = subprocess.run([sys.executable, __file__, "--worker", str(dump), str(args.revisions * args.pages)],
                                    env=env, capture_output=True, text=True)
            print(f"{engine}: {result.stdout.strip() or result.stderr[-2000:]}")


if __name__ == "__main__":
    main()
