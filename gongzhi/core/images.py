"""Uploaded photos → bytes safe to store and show. Pure Pillow; no ORM, no storage.

A photo from a grid worker's phone may lie on its side (EXIF orientation), carry the
spot where it was taken (EXIF GPS), be fifty megapixels, or not be a photo at all.
`clean_image` reads it under a byte limit, refuses decompression bombs from the header
alone, decodes it, turns it upright, shrinks it and encodes it again from the pixels
only: nothing of the source's metadata (EXIF, GPS, XMP, ICC, comments, text chunks)
reaches the stored bytes.

No Pillow global (MAX_IMAGE_PIXELS, LOAD_TRUNCATED_IMAGES, warning filters) is
changed: they are process-wide and requests run in threads. The pixel limit here is
lower than Pillow's default, so Pillow's own DecompressionBombError only fires first
for images far over it, and is refused the same way.
"""

import io
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from gongzhi.core.errors import DomainError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB
MAX_PIXELS = 40_000_000  # checked from the header, before any pixel is decoded
MAX_SIDE = 2560  # longest side of the stored image
THUMB_SIDE = 320  # longest side of the thumbnail
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})  # GIF: first frame only

JPEG_QUALITY = 85
THUMB_QUALITY = 75

# Pillow calls a JPEG that carries a Multi-Picture index "MPO" (many phone cameras add
# a preview or depth image that way); its first image is an ordinary JPEG.
_FORMAT_ALIASES = {"MPO": "JPEG"}
# Only these decoders ever see the bytes: BMP, TIFF, PSD … parsers are never reached.
# (Pillow's JPEG opener returns MPO files itself; "MPO" is no opener of its own.)
_OPEN_FORMATS = tuple(sorted(ALLOWED_FORMATS))

# EXIF orientation → the transpose that shows the picture upright
# (the table of ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageRejected(DomainError):
    """The upload is not a photo that can be stored. `details["reason"]` says why:
    empty, too_large, not_an_image, too_many_pixels or corrupt."""

    code = "invalid_image"
    status = 400


@dataclass(frozen=True)
class CleanImage:
    data: bytes  # re-encoded JPEG, or PNG when the source has real transparency; no metadata
    thumb: bytes  # JPEG thumbnail, transparency flattened onto white
    content_type: str  # "image/jpeg" or "image/png"
    extension: str  # "jpg" or "png"
    width: int  # of `data`, upright
    height: int
    size: int  # len(data)
    had_location: bool  # the source's EXIF held GPS data (it was stripped)


def clean_image(upload: IO[bytes]) -> CleanImage:
    """Decode an uploaded photo and re-encode it upright, bounded in size, without metadata.

    `upload` is a Django UploadedFile or any binary file object; it is read from the
    start (when it can seek) and at most MAX_UPLOAD_BYTES + 1 bytes are read.
    Raises ImageRejected with a message for the person who uploaded it.
    """
    raw = _read_limited(upload)
    with _decode(raw) as source:
        had_location, orientation = _read_exif(source)
        img = _rgb_or_rgba(source)
    img = _shrink(img, MAX_SIDE)
    if (method := _UPRIGHT.get(orientation)) is not None:  # FLIP_LEFT_RIGHT is 0
        img = img.transpose(method)
    # convert/resize/transpose copy the source's info (icc_profile, comment, xmp …),
    # and the PNG and JPEG writers fall back to it: start from nothing.
    img.info = {}

    if img.mode == "RGBA":
        data = _encode(img, "PNG")
        content_type, extension = "image/png", "png"
    else:
        data = _encode(img, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type, extension = "image/jpeg", "jpg"
    thumb = _flatten(_shrink(img, THUMB_SIDE))
    return CleanImage(
        data=data,
        thumb=_encode(thumb, "JPEG", quality=THUMB_QUALITY, optimize=True),
        content_type=content_type,
        extension=extension,
        width=img.width,
        height=img.height,
        size=len(data),
        had_location=had_location,
    )


def _rejected(reason: str, message: str) -> ImageRejected:
    return ImageRejected(message, details={"reason": reason})


def _not_an_image() -> ImageRejected:
    return _rejected("not_an_image", _("The file is not a photo (JPEG, PNG or WebP)."))


def _too_large() -> ImageRejected:
    return _rejected(
        "too_large",
        _("The photo is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
    )


def _too_many_pixels() -> ImageRejected:
    return _rejected(
        "too_many_pixels",
        _("The photo has too many pixels: at most %(mp)d megapixels.")
        % {"mp": MAX_PIXELS // 1_000_000},
    )


def _read_limited(upload: IO[bytes]) -> bytes:
    seekable = getattr(upload, "seekable", None)
    if seekable is not None and seekable():
        upload.seek(0)
    size = getattr(upload, "size", None)  # an UploadedFile knows it before being read
    if isinstance(size, int) and size > MAX_UPLOAD_BYTES:
        raise _too_large()
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _too_large()
    if not raw:
        raise _rejected("empty", _("The file is empty."))
    return raw


def _decode(raw: bytes) -> Image.Image:
    """The first frame, loaded; reduced already while decoding when it is a large JPEG."""
    try:
        # verify() checks what it can without decoding (PNG chunk checksums) and leaves
        # the image unusable, so the pixels are decoded from a second open.
        with Image.open(io.BytesIO(raw), formats=_OPEN_FORMATS) as probe:
            if _FORMAT_ALIASES.get(probe.format, probe.format) not in ALLOWED_FORMATS:
                raise _not_an_image()
            if probe.width * probe.height > MAX_PIXELS:
                raise _too_many_pixels()
            probe.verify()
        img = Image.open(io.BytesIO(raw), formats=_OPEN_FORMATS)
        try:
            target = _fit(img.size, MAX_SIDE)
            if target != img.size:
                # JPEG decodes at 1/2, 1/4 or 1/8 scale, never below `target`: a 48 MP
                # photo costs a fraction of the time and memory. No-op for other formats.
                img.draft("RGB", target)
            img.load()
        except BaseException:
            img.close()
            raise
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except UnidentifiedImageError as exc:
        raise _not_an_image() from exc
    except MemoryError:
        raise
    except Exception as exc:  # truncated or malformed data fails in many ways
        raise _rejected(
            "corrupt", _("The photo is damaged or incomplete. Please choose it again.")
        ) from exc
    return img


def _read_exif(img: Image.Image) -> tuple[bool, int]:
    """(GPS data present, orientation). Unreadable EXIF counts as absent: it is dropped
    with everything else anyway."""
    try:
        exif = img.getexif()
    except Exception:
        return False, 1
    try:
        had_location = bool(exif.get_ifd(ExifTags.IFD.GPSInfo))
    except Exception:
        had_location = False
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    return had_location, orientation if isinstance(orientation, int) else 1


def _rgb_or_rgba(img: Image.Image) -> Image.Image:
    """A new RGB image, or RGBA when some pixel is not fully opaque."""
    if img.mode in _SIXTEEN_BIT_GREY:
        # 16-bit greyscale PNG: convert() clips at 255 (nearly all white) instead of scaling.
        img = img.convert("I").point(lambda v: v / 257).convert("L")
    if img.mode in _ALPHA_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")
        if rgba.getchannel("A").getextrema()[0] < 255:
            return rgba
        return rgba.convert("RGB")
    return img.convert("RGB")


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down so its longest side is `side`; unchanged when already within."""
    width, height = size
    longest = max(width, height)
    if longest <= side:
        return size
    return max(1, round(width * side / longest)), max(1, round(height * side / longest))


def _shrink(img: Image.Image, side: int) -> Image.Image:
    size = _fit(img.size, side)
    if size == img.size:
        return img
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode != "RGBA":
        return img
    flat = Image.new("RGB", img.size, "white")
    flat.paste(img, mask=img.getchannel("A"))
    return flat


def _encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()
