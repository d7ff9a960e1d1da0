"""What the case API tests share: a JSON POST, a JPEG with a GPS position, an intake body,
a case in progress."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from gongzhi.cases import services

API = "/api/v1/cases"


def post_json(client, path, payload=None, **headers):
    return client.post(
        path, payload or {}, content_type="application/json", headers=headers or None
    )


def jpeg_with_gps(size=(64, 48), colour="green") -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    )
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def photo(name="p.jpg", data=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or jpeg_with_gps(), content_type="image/jpeg")


def intake(tree, category, **kw):
    payload = {
        "category_id": category.pk,
        "title": "路灯不亮",
        "description": "桂园路口的路灯连续三晚不亮",
        "grid_id": tree.grid_a.pk,
    }
    payload.update(kw)
    return payload


def in_progress(people, dispatched, **kw):
    case = dispatched(**kw)
    return services.case_accept(actor=people.handler, case_id=case.pk)
