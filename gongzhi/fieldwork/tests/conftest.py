import datetime as dt
import io

import pytest
from django.utils import timezone, translation
from PIL import Image

from gongzhi.cases.models import Category
from gongzhi.fieldwork import services
from gongzhi.fieldwork.models import TaskKind


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def send(people, tree):
    """Send a task from the community worker (grids A and B by default)."""

    def _send(kind=TaskKind.CONFIRM, targets=None, **kw):
        kw.setdefault("title", "本周完成辖区电动车飞线充电排查")
        kw.setdefault("deadline", timezone.now() + dt.timedelta(days=3))
        return services.task_create(
            actor=kw.pop("actor", people.community_worker),
            kind=kind,
            targets=targets or {tree.grid_a.pk: 1, tree.grid_b.pk: 2},
            **kw,
        )

    return _send


@pytest.fixture
def category(tree):
    return Category.objects.filter(parent__isnull=False, is_active=True).order_by("code").first()


def jpeg(exif_gps=False) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    buf.seek(0)
    buf.name = "p.jpg"
    return buf
