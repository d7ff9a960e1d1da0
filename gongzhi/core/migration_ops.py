"""What data migrations share. Pure helpers over the historical models a migration
passes in; nothing here imports a model."""

BATCH = 2000


def rewrite_rows(queryset, fields: list[str], change) -> int:
    """Call `change(row)` on every row of `queryset` (read in batches, only `fields` and
    the key); a row for which it returns True is saved back, in bulk. Returns how many
    rows changed. `change` must be idempotent, so a migration run again changes nothing."""
    changed, total = [], 0
    for row in queryset.only("pk", *fields).iterator(chunk_size=BATCH):
        if change(row):
            changed.append(row)
        if len(changed) >= BATCH:
            queryset.model.objects.bulk_update(changed, fields)
            total, changed = total + len(changed), []
    queryset.model.objects.bulk_update(changed, fields)
    return total + len(changed)
