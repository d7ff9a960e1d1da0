from django.core.management.base import BaseCommand
from django.db import transaction

from gongzhi.core import crypto
from gongzhi.core.audit import audit_record
from gongzhi.registry import pii
from gongzhi.registry.models import Premises, Resident

# (model, encrypted column, purpose)
SEALED = [
    (Resident, "id_number_enc", pii.ID_PURPOSE),
    (Resident, "phone_enc", pii.PHONE_PURPOSE),
    (Premises, "phone_enc", pii.PHONE_PURPOSE),
]


class Command(BaseCommand):
    help = (
        "用当前密钥重新加密旧版本密钥加密的个人信息。Re-encrypt personal data sealed with an "
        "older DATA_KEYS version under the current one; safe to stop and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, batch, **options):
        current = crypto.current_version()
        prefix = f"{current}$"
        total = 0
        for model, column, purpose in SEALED:
            while True:
                with transaction.atomic():
                    rows = list(
                        model.objects.select_for_update()
                        .exclude(**{column: ""})
                        .exclude(**{f"{column}__startswith": prefix})
                        .only("pk", column)[:batch]
                    )
                    if not rows:
                        break
                    for row in rows:
                        plain = crypto.decrypt(getattr(row, column), purpose=purpose)
                        setattr(row, column, crypto.encrypt(plain, purpose=purpose))
                    model.objects.bulk_update(rows, [column])
                    total += len(rows)
        if total:
            audit_record(
                actor=None,
                action="registry.keys_rotated",
                object_type="crypto",
                object_id=str(current),
                changes={"values": total},
            )
        self.stdout.write(f"已用密钥版本 {current} 重新加密 {total} 个值。")
