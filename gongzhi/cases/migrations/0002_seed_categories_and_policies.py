"""Seed the taxonomy with the GB/T 30428.2 event groups and social-governance groups,
and the default time limits (12345: contact within 1 hour, handle within 5 working
days). Administrators edit both in the admin."""

from django.db import migrations

GROUPS = [
    ("01", "市容环境", True, ["暴露垃圾", "积存垃圾渣土", "道路不洁", "水域不洁", "绿地脏乱", "废弃家具设备", "焚烧垃圾树叶", "公厕不洁"]),
    ("02", "宣传广告", True, ["违规张贴悬挂广告", "街头散发小广告", "占道广告牌", "广告招牌破损"]),
    ("03", "施工管理", True, ["施工扰民", "工地扬尘", "道路遗撒", "违规占道施工", "违法建设"]),
    ("04", "街面秩序", True, ["无照经营游商", "店外经营", "占道废品收购", "机动车乱停放", "非机动车乱停放", "露天烧烤"]),
    ("05", "突发事件", True, ["路面塌陷", "自来水管破裂", "燃气泄漏", "下水道堵塞或破损", "道路积水", "火灾"]),
    ("06", "矛盾纠纷", True, ["邻里纠纷", "家庭纠纷", "物业纠纷", "劳资纠纷", "房屋土地纠纷"]),
    ("07", "安全隐患", True, ["消防隐患", "燃气安全", "电动车违规充电", "危房危墙", "防汛隐患", "高空坠物隐患"]),
    ("08", "民生诉求", True, ["供水", "供电", "供暖", "物业服务", "教育", "医疗", "社保救助"]),
    ("09", "社会治安", False, ["治安隐患", "可疑人员", "涉黄赌毒线索"]),
]

# (group code or None for the default, urgency, response hours, working days, clock hours)
POLICIES = [
    (None, "normal", 1, 5, None),
    (None, "urgent", 1, 2, None),
    (None, "emergency", 1, 1, 24),
    ("05", "normal", 1, 1, None),
    ("05", "urgent", 1, 1, 24),
    ("05", "emergency", 1, 1, 4),
]


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Policy = apps.get_model("cases", "DeadlinePolicy")
    groups = {}
    for i, (code, name, public, children) in enumerate(GROUPS):
        group, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "is_public": public, "sort": i * 10}
        )
        groups[code] = group
        for j, child in enumerate(children, 1):
            Category.objects.get_or_create(
                code=f"{code}{j:02d}",
                defaults={"name": child, "parent": group, "is_public": public, "sort": j * 10},
            )
    for group, urgency, response, days, hours in POLICIES:
        Policy.objects.get_or_create(
            category=groups.get(group),
            urgency=urgency,
            defaults={
                "response_hours": response,
                "handling_working_days": days,
                "handling_hours": hours,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("cases", "DeadlinePolicy").objects.all().delete()
    Category = apps.get_model("cases", "Category")
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_case_categories_and_deadline_policies")]

    operations = [migrations.RunPython(seed, unseed)]
