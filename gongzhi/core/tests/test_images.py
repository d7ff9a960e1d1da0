import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageOps, JpegImagePlugin

from gongzhi.core import images
from gongzhi.core.images import CleanImage, ImageRejected, clean_image

SOURCE_METADATA = ("exif", "xmp", "comment", "icc_profile", "XML:com.adobe.xmp", "Comment")


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their source language, whatever the catalog says."""
    with translation.override("en"):
        yield


def _encode(img: Image.Image, fmt: str, **params) -> io.BytesIO:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    buf.seek(0)
    return buf


def _halves(size=(300, 200), top="red", bottom="blue") -> Image.Image:
    """Top half one colour, bottom half another: shows which way the picture turned."""
    img = Image.new("RGB", size, bottom)
    img.paste(Image.new("RGB", (size[0], size[1] // 2), top), (0, 0))
    return img


def _photo(size=(4000, 3000)) -> Image.Image:
    return Image.linear_gradient("L").resize(size).convert("RGB")


def _gps_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Phone"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    )
    return exif


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims the given size but holds no pixel data at all."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _reopen(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _assert_no_metadata(data: bytes):
    img = _reopen(data)
    assert len(img.getexif()) == 0
    assert not set(SOURCE_METADATA) & set(img.info)
    assert b"Exif" not in data and b"http://ns.adobe.com/xap" not in data


def _rejection(upload) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        clean_image(upload)
    assert caught.value.code == "invalid_image" and caught.value.status == 400
    return caught.value


# --- what is kept, what is dropped ---------------------------------------------------


def test_clean_image__jpeg_turned_upright_and_stripped_of_location():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = _encode(
        _halves(),
        "JPEG",
        exif=_gps_exif(orientation=6),
        comment=b"Zhang San, 5 Heping Road",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
        icc_profile=icc,
    )

    out = clean_image(upload)

    assert out.had_location is True
    assert (out.content_type, out.extension) == ("image/jpeg", "jpg")
    assert (out.width, out.height) == (200, 300)  # orientation 6: stored on its side
    assert out.size == len(out.data)
    stored = _reopen(out.data)
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (200, 300)
    # Rotated 90° clockwise, as the phone showed it: the red top is now on the right.
    r, _g, b = stored.getpixel((150, 150))
    assert r > 200 and b < 60
    r, _g, b = stored.getpixel((50, 150))
    assert r < 60 and b > 200
    _assert_no_metadata(out.data)
    assert b"Zhang San" not in out.data and b"Phone" not in out.data
    _assert_no_metadata(out.thumb)
    assert _reopen(out.thumb).format == "JPEG"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_clean_image__every_orientation_matches_exif_transpose(orientation):
    source = _halves(size=(60, 40))
    source.paste(Image.new("RGB", (10, 10), "lime"), (0, 0))  # marks one corner
    upload = _encode(source, "PNG", exif=_gps_exif(orientation))
    expected = ImageOps.exif_transpose(_reopen(upload.getvalue()))

    out = clean_image(upload)

    stored = _reopen(out.data)
    assert stored.size == expected.size
    for xy in [(2, 2), (expected.width - 3, 2), (2, expected.height - 3)]:
        want, got = expected.getpixel(xy), stored.getpixel(xy)
        assert all(abs(a - b) < 40 for a, b in zip(want, got, strict=True)), (xy, want, got)


def test_clean_image__no_gps_means_no_location():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    out = clean_image(_encode(_halves(), "JPEG", exif=exif))
    assert out.had_location is False
    assert (out.width, out.height) == (300, 200)
    _assert_no_metadata(out.data)


def test_clean_image__png_with_transparency_stays_png():
    img = Image.new("RGBA", (100, 80), (255, 0, 0, 255))
    img.paste(Image.new("RGBA", (50, 80), (0, 0, 255, 0)), (50, 0))
    upload = _encode(img, "PNG", exif=_gps_exif(orientation=1))

    out = clean_image(upload)

    assert (out.content_type, out.extension) == ("image/png", "png")
    assert out.had_location is True
    stored = _reopen(out.data)
    assert stored.format == "PNG" and stored.mode == "RGBA" and stored.size == (100, 80)
    assert stored.getpixel((10, 10)) == (255, 0, 0, 255)
    assert stored.getpixel((90, 10))[3] == 0
    _assert_no_metadata(out.data)
    thumb = _reopen(out.thumb)
    assert thumb.format == "JPEG" and thumb.mode == "RGB"
    assert all(c > 245 for c in thumb.getpixel((90, 10)))  # flattened onto white


def test_clean_image__opaque_alpha_channel_becomes_jpeg():
    out = clean_image(_encode(Image.new("RGBA", (40, 30), (0, 128, 0, 255)), "PNG"))
    assert (out.content_type, out.extension) == ("image/jpeg", "jpg")
    assert _reopen(out.data).mode == "RGB"


def test_clean_image__gif_first_frame_with_transparent_index_becomes_png():
    first = Image.new("P", (30, 20), 1)
    first.putpalette([255, 255, 255, 255, 0, 0, 0, 0, 255])
    first.paste(0, (0, 0, 10, 20))
    second = first.copy()
    second.paste(2, (0, 0, 30, 20))
    upload = _encode(first, "GIF", save_all=True, append_images=[second], transparency=0)

    out = clean_image(upload)

    stored = _reopen(out.data)
    assert out.content_type == "image/png" and stored.size == (30, 20)
    assert stored.getpixel((5, 5))[3] == 0
    assert stored.getpixel((20, 5)) == (255, 0, 0, 255)  # red first frame, not blue second


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        ("WEBP", {"quality": 90}),
        ("GIF", {}),
        ("MPO", {"save_all": True, "append_images": [Image.new("RGB", (64, 48))]}),
    ],
)
def test_clean_image__other_allowed_formats(fmt, params):
    out = clean_image(_encode(_halves(size=(64, 48)), fmt, **params))
    assert out.content_type == "image/jpeg" and (out.width, out.height) == (64, 48)
    _assert_no_metadata(out.data)


def test_clean_image__cmyk_jpeg_becomes_rgb():
    out = clean_image(_encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"))
    stored = _reopen(out.data)
    assert stored.mode == "RGB"
    r, g, b = stored.getpixel((20, 15))
    assert r > 200 and g < 60 and b < 60


def test_clean_image__sixteen_bit_grey_png_is_scaled_not_clipped():
    img = Image.new("I;16", (40, 30), 32896)  # mid grey in 16 bits
    out = clean_image(_encode(img, "PNG"))
    assert all(abs(c - 128) <= 2 for c in _reopen(out.data).getpixel((20, 15)))


# --- size ---------------------------------------------------------------------------


def test_clean_image__large_photo_is_shrunk_and_decoded_in_draft(monkeypatch):
    drafts = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append((self.size, size))
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)

    out = clean_image(_encode(_photo((4000, 3000)), "JPEG", quality=90))

    assert drafts == [((4000, 3000), (2560, 1920))]
    assert (out.width, out.height) == (2560, 1920)
    assert _reopen(out.data).size == (2560, 1920)
    assert _reopen(out.thumb).size == (320, 240)


def test_clean_image__portrait_shrinks_by_its_longest_side():
    out = clean_image(_encode(_photo((1500, 3000)), "PNG"))
    assert (out.width, out.height) == (1280, 2560)
    assert _reopen(out.thumb).size == (160, 320)


def test_clean_image__small_photo_is_not_enlarged():
    out = clean_image(_encode(_halves(size=(100, 50)), "JPEG"))
    assert (out.width, out.height) == (100, 50)
    assert _reopen(out.thumb).size == (100, 50)


# --- what the upload may be ---------------------------------------------------------


def test_clean_image__reads_a_django_upload_from_its_start():
    upload = SimpleUploadedFile("p.jpg", _encode(_halves(), "JPEG").getvalue(), "image/jpeg")
    upload.read(100)  # as a form's ImageField may leave it
    out = clean_image(upload)
    assert (out.width, out.height) == (300, 200)


def test_clean_image__result_is_immutable():
    out = clean_image(_encode(_halves(), "JPEG"))
    assert isinstance(out, CleanImage)
    with pytest.raises(AttributeError):
        out.width = 1


# --- refusals -----------------------------------------------------------------------


def test_clean_image__refuses_an_empty_file():
    error = _rejection(io.BytesIO(b""))
    assert error.details == {"reason": "empty"}
    assert error.message == "The file is empty."


def test_clean_image__refuses_text():
    error = _rejection(io.BytesIO("网格员的巡查记录\n".encode() * 50))
    assert error.details == {"reason": "not_an_image"}
    assert error.message == "The file is not a photo (JPEG, PNG or WebP)."


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "PPM", "ICO"])
def test_clean_image__refuses_formats_outside_the_list(fmt):
    error = _rejection(_encode(_halves(size=(32, 32)), fmt))
    assert error.details == {"reason": "not_an_image"}


def test_clean_image__refuses_more_than_ten_megabytes_reading_no_further():
    upload = io.BytesIO(b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024))

    error = _rejection(upload)

    assert error.details == {"reason": "too_large"}
    assert error.message == "The photo is larger than 10 MB."
    assert upload.tell() == images.MAX_UPLOAD_BYTES + 1


def test_clean_image__refuses_a_large_django_upload_without_reading_it():
    upload = SimpleUploadedFile("big.jpg", b"\0" * (images.MAX_UPLOAD_BYTES + 1))
    error = _rejection(upload)
    assert error.details == {"reason": "too_large"}
    assert upload.tell() == 0


def test_clean_image__accepts_exactly_the_byte_limit(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 5000)
    data = _encode(_halves(size=(20, 20)), "PNG").getvalue()
    padded = data + b"\0" * (5000 - len(data))  # bytes after IEND are ignored
    assert clean_image(io.BytesIO(padded)).width == 20
    with pytest.raises(ImageRejected):
        clean_image(io.BytesIO(padded + b"\0"))


@pytest.mark.parametrize(
    "size",
    [
        (6400, 6400),  # 41 MP: over our limit, under Pillow's
        pytest.param(
            (10000, 10000),  # 100 MP: Pillow warns, we refuse
            marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
        ),
        (30000, 30000),  # 900 MP: Pillow's own DecompressionBombError
    ],
)
def test_clean_image__refuses_too_many_pixels_before_decoding(size):
    # The header claims the size and there is no pixel data: decoding would fail as
    # "corrupt", so "too_many_pixels" shows the header alone was enough.
    error = _rejection(io.BytesIO(_png_header(*size)))
    assert error.details == {"reason": "too_many_pixels"}
    assert error.message == "The photo has too many pixels: at most 40 megapixels."


def test_clean_image__a_small_png_of_a_huge_picture_is_refused():
    """1-bit 10000 × 10000 compresses to a few kilobytes: a real decompression bomb."""
    bomb = Image.new("1", (10000, 10000))
    with pytest.warns(Image.DecompressionBombWarning):
        upload = _encode(bomb, "PNG", optimize=True)
        assert len(upload.getvalue()) < 50_000
        error = _rejection(upload)
    assert error.details == {"reason": "too_many_pixels"}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_clean_image__refuses_a_truncated_file(fmt):
    data = _encode(_photo((400, 300)), fmt).getvalue()
    error = _rejection(io.BytesIO(data[: len(data) * 2 // 3]))
    assert error.details == {"reason": "corrupt"}
    assert error.message == "The photo is damaged or incomplete. Please choose it again."


def test_clean_image__refuses_a_png_with_a_bad_checksum():
    data = bytearray(_encode(_photo((64, 48)), "PNG").getvalue())
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF
    assert _rejection(io.BytesIO(bytes(data))).details == {"reason": "corrupt"}


# --- properties ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 48),
    height=st.integers(1, 48),
    seed=st.binary(min_size=3, max_size=64),
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
)
def test_clean_image__any_small_picture_round_trips_without_metadata(width, height, seed, fmt):
    pixels = (seed * (width * height * 3 // len(seed) + 1))[: width * height * 3]
    img = Image.frombytes("RGB", (width, height), pixels)
    out = clean_image(_encode(img, fmt, exif=_gps_exif(orientation=1)))
    assert (out.width, out.height) == (width, height)
    assert out.content_type == "image/jpeg" and out.had_location is True
    _assert_no_metadata(out.data)


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        out[position % len(out)] = value
    return bytes(out)


_SEEDS = {
    fmt: _encode(_halves(size=(48, 32)), fmt, exif=_gps_exif(orientation=6)).getvalue()
    for fmt in ("JPEG", "PNG", "WEBP", "GIF")
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on broken EXIF
@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(sorted(_SEEDS)),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(1, 10_000),
)
def test_clean_image__damaged_bytes_give_a_photo_or_a_rejection(fmt, edits, cut):
    data = _mutate(_SEEDS[fmt], edits)[:cut]
    try:
        out = clean_image(io.BytesIO(data))
    except ImageRejected as error:
        assert error.details["reason"] in {"empty", "not_an_image", "corrupt", "too_many_pixels"}
    else:
        _assert_no_metadata(out.data)
