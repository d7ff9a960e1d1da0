"""Demo accounts: at least one user of every role, with names from Faker zh_CN.

Idempotent: users are found by username, positions by (user, role, place).
"""

from faker import Faker

from gongzhi.accounts.models import Position, User
from gongzhi.core.roles import Level, Role
from gongzhi.orgs.models import Department, OrgUnit

DEMO_PASSWORD = "gongzhi2026"

# Grids left without a worker so the "vacant grid" view has something to show.
VACANT_GRIDS = {"990101002003006", "990101001002007"}


def _user(username, name, *, staff=False, superuser=False):
    user, created = User.objects.get_or_create(
        username=username, defaults={"name": name, "is_staff": staff, "is_superuser": superuser}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _position(user, role, *, unit=None, department=None, title=""):
    Position.objects.get_or_create(
        user=user,
        role=role,
        org_unit=unit,
        department=department,
        is_active=True,
        defaults={"org_code": unit.code if unit else "", "title": title},
    )


def run(log):
    fake = Faker("zh_CN")
    Faker.seed(7)
    district = OrgUnit.objects.get(code="990101")
    subs = list(district.children.order_by("code"))
    communities = list(OrgUnit.objects.filter(level=Level.COMMUNITY, code__within=district.code))
    grids = list(
        OrgUnit.objects.filter(level=Level.GRID, code__within=district.code).order_by("code")
    )

    accounts = []

    def add(username, role, title, **where):
        existing = User.objects.filter(username=username).first()
        user = existing or _user(
            username, fake.name(), staff=role == Role.ADMIN, superuser=role == Role.ADMIN
        )
        _position(user, role, title=title, **where)
        accounts.append((username, user.get_display_name(), title))
        return user

    add("admin", Role.ADMIN, "系统管理员", unit=district)
    add("zhihui", Role.OPERATOR, "区指挥中心值班员", unit=district)
    add("jiedao", Role.OPERATOR, f"{subs[0].name}指挥中心值班员", unit=subs[0])
    add("lingdao", Role.LEADER, "分管副区长", unit=district)
    add("shuji", Role.LEADER, f"{subs[0].name}党工委书记", unit=subs[0])
    for i, community in enumerate(communities, 1):
        add(f"shequ{i}", Role.COMMUNITY_WORKER, f"{community.name}工作者", unit=community)
    n = 0
    for grid in grids:
        if grid.code in VACANT_GRIDS:
            continue
        n += 1
        add(f"wangge{n:02d}", Role.GRID_WORKER, "专职网格员", unit=grid)
    first_micro = OrgUnit.objects.filter(parent=grids[0]).order_by("code").first()
    add("loudong", Role.BUILDING_HEAD, "楼栋长", unit=first_micro)
    for i, dept in enumerate(Department.objects.filter(district=district).order_by("code"), 1):
        add(f"chengban{i}", Role.DEPARTMENT_HANDLER, f"{dept.name}经办人", department=dept)
    add("jumin", Role.RESIDENT, "居民", unit=first_micro)

    shown = {
        "admin",
        "zhihui",
        "jiedao",
        "lingdao",
        "shequ1",
        "wangge01",
        "loudong",
        "chengban1",
        "jumin",
    }
    log("")
    log(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, name, title in accounts:
        if username in shown:
            log(f"  {username:<10} {name:<6} {title}")
    log(
        f"  …另有 shequ1–shequ{len(communities)}、wangge01–wangge{n:02d}、"
        f"chengban1–chengban{i} 等账号。"
    )
