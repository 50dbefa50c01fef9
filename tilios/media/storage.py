"""Where file contents live: under TILIOS_VAR_DIR/media (settings.MEDIA_ROOT), each once, named by the SHA-256
of the kept copy (« 3f/3f9a….jpg », and « 3f/3f9a….thumb.jpg » for an image's thumbnail). Written before the
record that names them, atomically (a temporary file renamed), so a failed upload leaves at most an unused
file and never a half-written one."""
import hashlib
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings

CONTENT = re.compile(r"^([0-9a-f]{64})\.(jpg|png|webp|pdf)$")


def _root():
    return Path(settings.MEDIA_ROOT)


def path_of(content, thumb=False):
    match = CONTENT.match(content or "")
    if match is None:
        raise ValueError(f"contenu inconnu : {content!r}")
    digest, ext = match.groups()
    return _root() / digest[:2] / f"{digest}{'.thumb' if thumb else ''}.{ext}"


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store(processed):
    """The content key of `processed` (a media.processing.Processed), its copies written if new."""
    content = f"{hashlib.sha256(processed.data).hexdigest()}.{processed.ext}"
    if not path_of(content).exists():
        if processed.thumb is not None:
            _write(path_of(content, thumb=True), processed.thumb)
        _write(path_of(content), processed.data)
    return content


def put(content, thumb, data):
    """Write back a copy read from a dump; the kept copy must have the digest its name says."""
    if not thumb and hashlib.sha256(data).hexdigest() != content.split(".", 1)[0]:
        raise ValueError(f"{content} : le contenu ne correspond pas à son empreinte")
    _write(path_of(content, thumb=thumb), data)


def exists(content):
    try:
        return path_of(content).exists()
    except ValueError:
        return False
