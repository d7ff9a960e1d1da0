from io import StringIO

from django.core.management import call_command

from gongzhi.core import crypto
from gongzhi.core.models import AuditLog
from gongzhi.registry import pii
from gongzhi.registry.models import Resident
from gongzhi.registry.tests.conftest import ID_A


def test_rotate_data_keys__re_encrypts_old_values(places, settings):
    settings.DATA_KEYS = "1:" + "A" * 43
    crypto.reset_keyring()
    # Seal everything under an explicit version-1 key, as a deployment would have.
    Resident.objects.exclude(pk=places.resident_a.pk).delete()
    r = Resident.objects.get(pk=places.resident_a.pk)
    r.id_number_enc = crypto.encrypt(ID_A, purpose=pii.ID_PURPOSE)
    r.phone_enc = crypto.encrypt("13812345678", purpose=pii.PHONE_PURPOSE)
    r.save()
    settings.DATA_KEYS = "1:" + "A" * 43 + ",2:" + "C" * 43
    crypto.reset_keyring()
    try:
        out = StringIO()
        call_command("rotate_data_keys", stdout=out)
        r.refresh_from_db()
        assert crypto.version_of(r.id_number_enc) == 2
        assert pii.open_id_number(r) == ID_A and pii.open_phone(r) == "13812345678"
        assert AuditLog.objects.filter(action="registry.keys_rotated").exists()
        call_command("rotate_data_keys", stdout=StringIO())
        assert AuditLog.objects.filter(action="registry.keys_rotated").count() == 1
    finally:
        crypto.reset_keyring()
