"""What an upload is, judged by its content and never by its name or the type the browser claims, and the
copies Tilios keeps of it.

Accepted: JPEG, PNG and WebP images (Pillow opens them; anything else — an SVG, which can carry scripts, a
GIF, an executable renamed .jpg — is refused) and PDF documents (their signature and end marker). An image
is turned upright (its EXIF orientation), scaled down to DISPLAY_EDGE pixels and re-encoded, once more to
THUMB_EDGE for lists: the copies carry no metadata, so a phone photo's GPS position, device and date never
reach the site. Images of more than MAX_PIXELS are refused before being decoded (decompression bombs).
"""
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
DISPLAY_EDGE = 1600
THUMB_EDGE = 480
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
PDF = ("pdf", "application/pdf")
EXTENSIONS = {ext: media_type for ext, media_type in [*FORMATS.values(), PDF]}


class FileRefused(ValueError):
    """The upload is not a file Tilios keeps; the message says why, in French."""


@dataclass
class Processed:
    data: bytes
    thumb: bytes | None
    ext: str
    media_type: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self):
        return self.thumb is not None


def process(data):
    if not data:
        raise FileRefused("fichier vide")
    if len(data) > MAX_BYTES:
        raise FileRefused(f"fichier trop gros : {MAX_BYTES // (1024 * 1024)} Mo au plus")
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise FileRefused("PDF incomplet (pas de marque de fin)")
        return Processed(data, None, *PDF)
    image = _open(data)
    upright = ImageOps.exif_transpose(image)
    ext, media_type = FORMATS[image.format]
    display = _encode(upright, DISPLAY_EDGE, image.format)
    width, height = Image.open(io.BytesIO(display)).size
    return Processed(display, _encode(upright, THUMB_EDGE, image.format), ext, media_type, width, height)


def _open(data):
    refused = FileRefused("ni une image JPEG, PNG ou WebP, ni un document PDF")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > MAX_PIXELS:
                raise FileRefused(f"image trop grande : {MAX_PIXELS // 1_000_000} millions de pixels au plus")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        if isinstance(exc, FileRefused):
            raise
        raise refused from None
    return image


def _encode(image, edge, fmt):
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    if fmt == "JPEG" and copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    out = io.BytesIO()
    # No `exif=`, `icc_profile=` nor text chunks: the copy says nothing of where or with what it was taken.
    options = {"quality": 85, "optimize": True} if fmt == "JPEG" else {"quality": 85} if fmt == "WEBP" else {}
    copy.save(out, fmt, **options)
    return out.getvalue()


def describe(data):
    """(media type, width, height) of a stored copy, read from its header."""
    if data.startswith(b"%PDF-"):
        return PDF[1], None, None
    image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    return FORMATS[image.format][1], image.width, image.height
