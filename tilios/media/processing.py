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
    display, (width, height) = _encode(upright, DISPLAY_EDGE, image.format)
    thumb, _size = _encode(upright, THUMB_EDGE, image.format)
    return Processed(display, thumb, ext, media_type, width, height)


def _open(data):
    refused = FileRefused("ni une image JPEG, PNG ou WebP, ni un document PDF")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning):
            raise refused from None
    if image.width * image.height > MAX_PIXELS:  # read from the header, before decoding
        raise FileRefused(f"image trop grande : {MAX_PIXELS // 1_000_000} millions de pixels au plus")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise refused from None
    return image


def _encode(image, edge, fmt):
    """(the encoded copy, its size) of `image` scaled to fit `edge`."""
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    if fmt == "JPEG" and copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    out = io.BytesIO()
    # No `exif=`, `icc_profile=` nor text chunks: the copy says nothing of where or with what it was taken.
    options = {"quality": 85, "optimize": True} if fmt == "JPEG" else {"quality": 85} if fmt == "WEBP" else {}
    copy.save(out, fmt, **options)
    return out.getvalue(), copy.size


def describe(path):
    """(media type, width, height, size in bytes) of a stored copy, from its header alone."""
    with open(path, "rb") as stored:
        if stored.read(5) == b"%PDF-":
            return PDF[1], None, None, path.stat().st_size
    with Image.open(path, formats=list(FORMATS)) as image:
        return FORMATS[image.format][1], image.width, image.height, path.stat().st_size
