"""What the case page tests share: the page's text for a msgid, a JPEG upload, a page's
body and the case numbers a list shows."""

import io
import re

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from PIL import Image


def t(msgid: str, **params) -> str:
    """What a page shows for `msgid` (the site's language), HTML-escaped as in the page."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(msgid)
    return escape(text % params if params else text)


def jpeg(name="photo.jpg", size=(64, 48), color=(200, 80, 40)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def body(response) -> str:
    return response.content.decode()


def rows_of(html: str) -> list[str]:
    """The case numbers listed on a list page, in order."""
    return re.findall(r'<span class="case-num code">(SJ\d+)</span>', html)
