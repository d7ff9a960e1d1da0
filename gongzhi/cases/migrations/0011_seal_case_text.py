"""Mask the phones and 身份证号 in the title and description of the cases already stored,
sealing the text as written in text_enc (cases.text). The reverse puts the text back.

It calls cases.text, which is pure (no models: it masks and encrypts strings), so the
historical model is all it touches; run again, it finds nothing left to seal."""

from django.db import migrations

FIELDS = ["title", "description", "text_enc"]


def seal(apps, schema_editor):
    from gongzhi.cases.text import sealed_text
    from gongzhi.core.migration_ops import rewrite_rows

    def change(case):
        sealed = sealed_text(case.title, case.description)
        if not sealed["text_enc"]:
            return False
        case.title, case.description, case.text_enc = (sealed[f] for f in FIELDS)
        return True

    rewrite_rows(apps.get_model("cases", "Case").objects.filter(text_enc=""), FIELDS, change)


def unseal(apps, schema_editor):
    from gongzhi.cases.text import opened_text
    from gongzhi.core.migration_ops import rewrite_rows

    def change(case):
        written = opened_text(case)
        case.title, case.description, case.text_enc = written["title"], written["description"], ""
        return True

    rewrite_rows(apps.get_model("cases", "Case").objects.exclude(text_enc=""), FIELDS, change)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_case_text_sealed"),
    ]

    operations = [migrations.RunPython(seal, unseal, elidable=True)]
