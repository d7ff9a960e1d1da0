"""Mask the phones and 身份证号 in the free text of the 12345 orders already stored
(the payload kept as received; the case keeps its text as written, sealed: cases 0011).
Not reversible: the reverse leaves them."""

from django.db import migrations

FREE_TEXT = ("title", "content", "address", "contact_name")


def mask(apps, schema_editor):
    from gongzhi.core.migration_ops import rewrite_rows
    from gongzhi.core.pii_text import mask_personal_text

    def change(order):
        payload = dict(order.payload or {})
        for key in FREE_TEXT:
            if isinstance(payload.get(key), str):
                payload[key] = mask_personal_text(payload[key])
        changed, order.payload = payload != order.payload, payload
        return changed

    rewrite_rows(apps.get_model("hotline", "HotlineOrder").objects.all(), ["payload"], change)


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0002_default_category"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop, elidable=True)]
