"""Static files under hashed names, gzip- and brotli-compressed, for WhiteNoise's one-year cache."""
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Stylesheets' url() references are rewritten to the hashed names; scripts are left as they are, since
    the vendored libraries point at source maps that Tilios does not ship."""

    patterns = tuple(pattern for pattern in CompressedManifestStaticFilesStorage.patterns if pattern[0] == "*.css")


def collect():
    """Collect and compress the static files when they changed since the last time (about five seconds;
    a restart with the same files costs nothing). Returns whether it collected."""
    stamp = Path(settings.STATIC_ROOT) / ".sources"
    fingerprint = _fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True


def _fingerprint():
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda found: found[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
