"""The `tilios` console script: Django's management commands under one name."""
import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tilios.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "tilios"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
