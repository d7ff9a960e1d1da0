"""The register's starting lists: the dispute types (editable afterwards) and the case
category the dispute cases are filed under — not public, so neither residents nor Open311
see or report it. Used by migration 0002 (with its historical models) and, for a flushed
database, by the services."""

TYPES = (
    "邻里纠纷", "物业纠纷", "婚姻家庭纠纷", "劳动争议/欠薪", "宠物纠纷", "土地/拆迁纠纷",
    "医疗纠纷", "交通事故纠纷", "消费纠纷", "其他",
)  # fmt: skip
GROUP = ("DSP", "矛盾纠纷调解")
CATEGORY = ("DSP01", "人民调解")


def ensure(category_model, type_model):
    """Create what is missing; returns the category."""
    group, _ = category_model.objects.get_or_create(
        code=GROUP[0], defaults={"name": GROUP[1], "is_public": False, "sort": 900}
    )
    category, _ = category_model.objects.get_or_create(
        code=CATEGORY[0],
        defaults={"name": CATEGORY[1], "parent": group, "is_public": False, "sort": 900},
    )
    if not type_model.objects.exists():
        type_model.objects.bulk_create(
            type_model(name=name, sort=(i + 1) * 10) for i, name in enumerate(TYPES)
        )
    return category
