"""The `tilios` console script: Django's management commands under one name.

A database or disk that fails (locked, full, read-only, not migrated yet) ends a command with one
line on stderr saying what to do, and exit status 1; `--traceback` still shows the whole trace. Before any
command, what an import killed mid-way left behind is undone (`tilios.journal`)."""
import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "tilios"
    try:
        import django
        from django.core.management import execute_from_command_line

        django.setup()
        from tilios import journal

        journal.recover()  # an import killed mid-way is undone before anything reads the database
        execute_from_command_line(argv)
    except Exception as exc:
        from tilios import failures

        outage = failures.outage_of(exc)
        if outage is None or "--traceback" in argv:
            raise
        sys.stderr.write(f"tilios : {outage.message}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
