"""Mask the phones and 身份证号 in the Open311 descriptions already stored (the case
keeps its text as written, sealed: cases 0011). Not reversible: the reverse leaves them."""

from django.db import migrations


def mask(apps, schema_editor):
    from gongzhi.core.migration_ops import rewrite_rows
    from gongzhi.core.pii_text import mask_personal_text

    def change(request):
        masked = mask_personal_text(request.description)
        changed, request.description = masked != request.description, masked
        return changed

    rewrite_rows(apps.get_model("open311", "Open311Request").objects.all(), ["description"], change)


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0001_service_attributes_and_requests"),
        ("cases", "0011_seal_case_text"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop, elidable=True)]
