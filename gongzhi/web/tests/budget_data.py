"""Rows for the query budgets (test_query_budgets.py), made through the app's services.

Each maker adds `count` more rows of one kind and returns one marker per row: a text the
page or the JSON shows for that row alone (a case number, a name with a three-digit
serial), so a test can tell the rows were listed. Makers may be called again: the
serials go on where the last call stopped.
"""

import datetime as dt
from collections import defaultdict
from types import SimpleNamespace

from django.utils import timezone
from shapely.geometry import box, mapping

from gongzhi.accounts import services as account_services
from gongzhi.campaigns import services as campaign_services
from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category, DeadlinePolicy, Urgency
from gongzhi.core.roles import Level, Role
from gongzhi.factories import DepartmentFactory, OrgUnitFactory, PositionFactory, UserFactory
from gongzhi.hotline.models import HotlineOrder, OutboundEvent, OutboundStatus
from gongzhi.imports.models import ImportJob, ImportKind, ImportStatus
from gongzhi.inspections import services as inspection_services
from gongzhi.notifications import services as notification_services
from gongzhi.orgs import geo, locator
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry import services as registry_services
from gongzhi.registry.models import PremisesCategory, Tag


class Scene:
    """The org tree and its people (gongzhi/conftest.py), and makers of listed rows.

    `ids` holds the objects whose id a URL needs (a building, an import job, a case, a
    campaign); a maker creates its parent on first use."""

    def __init__(self, tree, people):
        self.tree = tree
        self.people = people
        self.serial = defaultdict(int)
        self.ids = SimpleNamespace()
        self.public_categories = list(
            Category.objects.filter(parent__isnull=False, is_active=True, is_public=True).order_by(
                "sort", "code"
            )[:2]
        )
        self.category = self.public_categories[0]

    def _serials(self, kind: str, count: int) -> range:
        start = self.serial[kind]
        self.serial[kind] += count
        return range(start + 1, start + count + 1)

    # -- cases ------------------------------------------------------------------------

    def _report(self, i: int, actor=None, **kw):
        if "building_id" not in kw:
            kw.setdefault("grid_id", self.tree.grid_a.pk)
        kw.setdefault("category_id", self.category.pk)
        case, _ = case_services.case_report(
            actor=actor or self.people.gw_a,
            title=f"预算案件{i:03d}",
            description=f"楼道堆放杂物，第{i:03d}件",
            **kw,
        )
        return case

    def cases(self, count: int) -> list[str]:
        """New cases in grid A, as varied as a list shows them: two categories, each in its
        own building, every other one dispatched to one of two departments; markers are
        case numbers."""
        departments = (self.tree.department, self.tree.department2)
        numbers = []
        for i in self._serials("case", count):
            case = self._report(
                i,
                category_id=self.public_categories[i % 2].pk,
                building_id=self._building(i, "案发楼", located=False).pk,
            )
            if i % 2:
                case_services.case_dispatch(
                    actor=self.people.op_sub,
                    case_id=case.pk,
                    department_id=departments[i // 2 % 2].pk,
                )
            numbers.append(case.number)
        return numbers

    def same_cases(self, count: int) -> list[str]:
        """New cases alike (grid A, one category, no building): one hotspot of them all."""
        return [self._report(i).number for i in self._serials("case", count)]

    def located_cases(self, count: int) -> list[str]:
        """New cases with a point inside grid A (for the map markers)."""
        return [
            self._report(i, lng=112.405 + i * 0.0001, lat=34.61).number
            for i in self._serials("case", count)
        ]

    def extension_requests(self, count: int) -> list[str]:
        """Cases dispatched, accepted and waiting for an extension; markers: case numbers."""
        numbers = []
        for i in self._serials("case", count):
            case = self._report(i)
            case_services.case_dispatch(
                actor=self.people.op_sub, case_id=case.pk, department_id=self.tree.department.pk
            )
            case_services.case_accept(actor=self.people.handler, case_id=case.pk)
            case_services.case_request_extension(
                actor=self.people.handler, case_id=case.pk, days=3, reason=f"等待配件{i:03d}"
            )
            numbers.append(case.number)
        return numbers

    def timeline(self, count: int) -> list[str]:
        """Contact notes on one accepted case (`ids.case`); markers: the notes."""
        if not hasattr(self.ids, "case"):
            case = self._report(0, reporter_phone="13812345678")  # someone to contact
            case_services.case_dispatch(
                actor=self.people.op_sub, case_id=case.pk, department_id=self.tree.department.pk
            )
            case_services.case_accept(actor=self.people.handler, case_id=case.pk)
            self.ids.case = case.pk
        notes = []
        for i in self._serials("note", count):
            note = f"联系记录{i:03d}"
            case_services.case_contact(actor=self.people.op_sub, case_id=self.ids.case, note=note)
            notes.append(note)
        return notes

    def resident_reports(self, count: int) -> list[str]:
        """Cases reported for a resident's phone (`ids.phone`), which /my/ lists to whoever
        proves that phone; markers: case numbers."""
        self.ids.phone = "13912345678"
        return [
            self._report(i, reporter_phone=self.ids.phone).number
            for i in self._serials("case", count)
        ]

    def hotline_dead_letters(self, count: int) -> list[str]:
        """12345 orders whose status event the hotline never took; markers: order numbers."""
        numbers = []
        for i in self._serials("case", count):
            order = HotlineOrder.objects.create(case=self._report(i), order_no=f"GD2026{i:05d}")
            OutboundEvent.objects.create(
                order=order, event="accepted", status=OutboundStatus.DEAD, attempts=8
            )
            numbers.append(order.order_no)
        return numbers

    def campaigns(self, count: int) -> list[str]:
        """Campaigns on the subdistrict, each with one case; markers: campaign names."""
        names = []
        for i in self._serials("campaign", count):
            name = f"专项整治{i:03d}"
            campaign = campaign_services.campaign_open(
                actor=self.people.op_sub, name=name, unit_code=self.tree.sub.code
            )
            campaign_services.campaign_add_cases(
                actor=self.people.op_sub, campaign_id=campaign.pk, case_ids=[self._report(i).pk]
            )
            names.append(name)
        return names

    def campaign_cases(self, count: int) -> list[str]:
        """Cases taken into one campaign (`ids.campaign`); markers: case numbers."""
        if not hasattr(self.ids, "campaign"):
            self.ids.campaign = campaign_services.campaign_open(
                actor=self.people.op_sub, name="楼道专项整治", unit_code=self.tree.sub.code
            ).pk
        cases = [self._report(i) for i in self._serials("case", count)]
        campaign_services.campaign_add_cases(
            actor=self.people.op_sub, campaign_id=self.ids.campaign, case_ids=[c.pk for c in cases]
        )
        return [c.number for c in cases]

    def categories(self, count: int) -> list[str]:
        """Public categories, half of them in a new group; markers: their names."""
        group, _ = Category.objects.get_or_create(code="YS", defaults={"name": "预算大类"})
        parents = [self.category.parent, group]
        return [
            Category.objects.create(
                parent=parents[i % 2], code=f"YS{i:03d}", name=f"预算小类{i:03d}"
            ).name
            for i in self._serials("category", count)
        ]

    def deadline_policies(self, count: int) -> list[str]:
        """Deadline policies of new categories (see categories); markers: category names."""
        names = self.categories(count)
        for category in Category.objects.filter(name__in=names):
            DeadlinePolicy.objects.create(category=category, urgency=Urgency.NORMAL)
        return names

    # -- the registry -----------------------------------------------------------------

    def _building(self, i: int, prefix: str = "预算楼", located: bool = True):
        """A building of grid A; `located` ones have a point (cases in a building without
        one are not compared by distance, so they are never repeats of each other)."""
        return registry_services.building_save(
            actor=self.people.gw_a,
            grid_id=self.tree.grid_a.pk,
            name=f"{prefix}{i:03d}",
            address=f"桂园路{i}号",
            lng=112.405 + i * 0.0001 if located else None,
            lat=34.61 if located else None,
        )

    def buildings(self, count: int) -> list[str]:
        """Buildings in grid A (with a point); markers: their names."""
        return [self._building(i).name for i in self._serials("building", count)]

    def residents(self, count: int) -> list[str]:
        """Residents in households of one building of grid A, each tagged; markers: names."""
        if not hasattr(self.ids, "building"):
            self.ids.building = self._building(0, "住宅楼").pk
        tag = Tag.objects.filter(is_active=True).order_by("pk").first()
        names = []
        for i in self._serials("resident", count):
            resident = registry_services.resident_save(
                actor=self.people.gw_a,
                data=registry_services.ResidentInput(
                    name=f"居民{i:03d}",
                    phone=f"13800{i:06d}",
                    building_id=self.ids.building,
                    unit_name="1单元",
                    room=f"{i:03d}室",
                    relationship="head",
                    tag_ids=[tag.pk],
                ),
            )
            names.append(resident.name)
        return names

    def households(self, count: int) -> list[str]:
        """Households (one resident each) in one building (`ids.building`); markers: rooms."""
        self.residents(count)
        return [
            f"{i:03d}室"
            for i in range(self.serial["resident"] - count + 1, self.serial["resident"] + 1)
        ]

    def premises(self, count: int) -> list[str]:
        """Shops in grid A; markers: their names."""
        category = PremisesCategory.objects.filter(is_active=True).order_by("pk").first()
        return [
            registry_services.premises_save(
                actor=self.people.gw_a,
                grid_id=self.tree.grid_a.pk,
                name=f"预算商铺{i:03d}",
                category_id=category.pk,
                responsible_name="张老板",
                phone=f"13900{i:06d}",
            ).name
            for i in self._serials("premises", count)
        ]

    def tags(self, count: int) -> list[str]:
        return [Tag.objects.create(name=f"标签{i:03d}").name for i in self._serials("tag", count)]

    def premises_categories(self, count: int) -> list[str]:
        return [
            PremisesCategory.objects.create(name=f"场所{i:03d}").name
            for i in self._serials("premises_category", count)
        ]

    def import_jobs(self, count: int) -> list[str]:
        """Import jobs the grid worker of grid A uploaded; markers: the file names."""
        return [
            ImportJob.objects.create(
                kind=ImportKind.RESIDENTS,
                status=ImportStatus.DONE,
                created_by=self.people.gw_a,
                scope_codes=[self.tree.grid_a.code],
                filename=f"居民{i:03d}.xlsx",
            ).filename
            for i in self._serials("import_job", count)
        ]

    def import_errors(self, count: int) -> list[str]:
        """Rows with errors of one checked import job (`ids.job`); markers: the reasons."""
        if not hasattr(self.ids, "job"):
            self.ids.job = ImportJob.objects.create(
                kind=ImportKind.RESIDENTS,
                status=ImportStatus.VALIDATED,
                created_by=self.people.gw_a,
                scope_codes=[self.tree.grid_a.code],
                filename="居民.xlsx",
            ).pk
        job = ImportJob.objects.get(pk=self.ids.job)
        for i in self._serials("import_error", count):
            job.errors.append({"row": i + 1, "column": "身份证号", "message": f"校验位错误{i:03d}"})
        job.error_count = job.error_rows = len(job.errors)
        job.total_rows = job.error_rows
        job.save()
        return [e["message"] for e in job.errors[-count:]]

    # -- org units, people, departments, inbox ------------------------------------------

    def grids(self, count: int) -> list[str]:
        """Grids under 桂园社区 with a boundary and a case each; markers: their names."""
        names = []
        for i in self._serials("grid", count):
            grid = OrgUnitFactory(
                code=f"{self.tree.community.code}{100 + i:03d}",
                name=f"预算网格{i:03d}",
                level=Level.GRID,
                parent=self.tree.community,
            )
            shape = box(112.50 + i * 0.001, 34.60, 112.5009 + i * 0.001, 34.61)
            grid.boundary, grid.boundary_bbox = mapping(shape), geo.bbox(shape)
            grid.boundary_updated_at = timezone.now()
            grid.save()
            self._report(i, actor=self.people.op_district, grid_id=grid.pk)
            names.append(grid.name)
        locator.invalidate()
        return names

    def grids_with_buildings(self, count: int) -> list[str]:
        """New grids (see grids) with a building each, entered by the community worker."""
        names = self.grids(count)
        for i in range(self.serial["grid"] - count + 1, self.serial["grid"] + 1):
            grid = OrgUnit.objects.get(code=f"{self.tree.community.code}{100 + i:03d}")
            registry_services.building_save(
                actor=self.people.community_worker, grid_id=grid.pk, name=f"网格楼{i:03d}"
            )
        return names

    def positions(self, count: int) -> list[str]:
        """Grid workers of grid A; markers: their names."""
        rows = []
        for i in self._serials("position", count):
            user = UserFactory(username=f"worker{i:03d}", name=f"网格员{i:03d}")
            PositionFactory(user=user, role=Role.GRID_WORKER, org_unit=self.tree.grid_a)
            rows.append(user.name)
        return rows

    def api_tokens(self, count: int) -> list[str]:
        """API tokens of the grid worker of grid A; markers: the tokens' names."""
        return [
            account_services.api_token_create(
                actor=self.people.admin, user=self.people.gw_a, name=f"对接系统{i:03d}"
            )[0].name
            for i in self._serials("api_token", count)
        ]

    def departments(self, count: int) -> list[str]:
        return [
            DepartmentFactory(
                code=f"990101-Y{i:03d}", name=f"预算局{i:03d}", district=self.tree.district
            ).name
            for i in self._serials("department", count)
        ]

    def notifications(self, count: int) -> list[str]:
        """Inbox notifications of the grid worker of grid A; markers: their titles."""
        titles = []
        for i in self._serials("notification", count):
            title = f"新案件提醒{i:03d}"
            notification_services.notify(
                recipients=[self.people.gw_a], kind="case", title=title, link="/cases/"
            )
            titles.append(title)
        return titles

    # -- inspections ------------------------------------------------------------------

    def _inspection_round(self):
        if not hasattr(self.ids, "inspection_round"):
            today = timezone.localdate()
            campaign = inspection_services.campaign_create(
                actor=self.people.op_sub, unit_code=self.tree.sub.code, name="预算整治行动",
                starts_on=today, ends_on=today,
                category_ids=[PremisesCategory.objects.get(name="沿街门店").pk],
            )  # fmt: skip
            self.ids.inspection_campaign = campaign.pk
            self.ids.inspection_round = inspection_services.round_add(
                actor=self.people.op_sub, campaign_id=campaign.pk, starts_on=today, due_on=today
            ).pk
        return self.ids.inspection_round

    def inspection_tasks(self, count: int) -> list[str]:
        """Shops in grid A, each with a task in the campaign's round."""
        round_id = self._inspection_round()
        shops = PremisesCategory.objects.get(name="沿街门店")
        names = []
        for i in self._serials("inspection_tasks", count):
            names.append(f"预算检查店{i:03d}")
            registry_services.premises_save(
                actor=self.people.gw_a, grid_id=self.tree.grid_a.pk, name=names[-1],
                category_id=shops.pk, lng=112.4 + i / 1000, lat=34.6,
            )  # fmt: skip
        inspection_services.round_generate(actor=self.people.op_sub, round_id=round_id)
        return names

    def inspection_campaigns(self, count: int) -> list[str]:
        today = timezone.localdate()
        shops = PremisesCategory.objects.get(name="沿街门店")
        names = []
        for i in self._serials("inspection_campaigns", count):
            names.append(f"预算整治{i:03d}")
            inspection_services.campaign_create(
                actor=self.people.op_sub, unit_code=self.tree.sub.code, name=names[-1],
                starts_on=today, ends_on=today, category_ids=[shops.pk],
            )  # fmt: skip
        return names

    def checklists(self, count: int) -> list[str]:
        """Checklists, each for a premises category of its own."""
        names = []
        for i in self._serials("checklists", count):
            names.append(f"预算检查表{i:03d}")
            category = PremisesCategory.objects.create(name=f"预算场所{i:03d}")
            inspection_services.template_save(
                actor=self.people.admin, name=names[-1], category_ids=[category.pk],
                case_category_id=self.category.pk,
                items=[{"key": "a", "text": "检查项"}, {"key": "b", "text": "另一项"}],
            )  # fmt: skip
        return names

    def notices(self, count: int) -> list[str]:
        """Open rectification notices: a shop failing its inspection, its notice issued."""
        from gongzhi.cases.tests.api_support import photo
        from gongzhi.inspections import notices
        from gongzhi.inspections.models import InspectionTask, RectificationNotice

        names = self.inspection_tasks(count)
        for name in names:
            task = InspectionTask.objects.get(
                premises__name=name, round_id=self.ids.inspection_round
            )
            keys = [i["key"] for i in inspection_services.version_for(task).items]
            result, _ = inspection_services.task_submit(
                actor=self.people.gw_a, task_id=task.pk, client_id=f"budget-{task.pk}",
                answers={k: "fail" if k == keys[0] else "pass" for k in keys},
                photos={keys[0]: photo()},
            )  # fmt: skip
            notices.notice_issue(actor=self.people.gw_a, case_id=result.hazard_id, days=3)
            self.ids.notice = RectificationNotice.objects.get(hazard=result.hazard_id).pk
        return names

    def audit_entries(self, count: int) -> list[str]:
        """Audit rows by a staff member of the area (the markers: their objects)."""
        from gongzhi.core.audit import audit_record

        names = []
        for i in self._serials("audit_entries", count):
            names.append(f"预算审计对象{i:03d}")
            audit_record(
                actor=self.people.op_sub, action="case.reveal_phone", object_type="cases.case",
                object_id=str(i), object_repr=names[-1],
            )  # fmt: skip
        return names

    def risk_points(self, count: int) -> list[str]:
        """Risk points in grid A, in season this month."""
        from gongzhi.inspections import risk

        month = timezone.localdate().month
        names = []
        for i in self._serials("risk_points", count):
            names.append(f"预算点位{i:03d}")
            risk.point_save(
                actor=self.people.op_sub, grid_id=self.tree.grid_a.pk, name=names[-1],
                kind="car_park", leader_id=self.people.leader.pk,
                community_person_id=self.people.community_worker.pk,
                season_start=month, season_end=month, lng=112.4 + i / 1000, lat=34.6,
            )  # fmt: skip
        return names

    def alert_points(self, count: int) -> list[str]:
        """Points of one alert: declared over the subdistrict at the first call, the points
        made later added to it."""
        from gongzhi.inspections import risk
        from gongzhi.inspections.models import Alert, RiskPoint

        names = self.risk_points(count)
        if not hasattr(self.ids, "alert"):
            self.ids.alert = risk.alert_declare(
                actor=self.people.op_sub, unit_code=self.tree.sub.code, title="预算预警"
            ).pk
        Alert.objects.get(pk=self.ids.alert).points.add(*RiskPoint.objects.filter(name__in=names))
        return names

    # -- care -------------------------------------------------------------------------

    def _care_tag(self) -> int:
        """A cared-for group with a weekly plan over 桂园社区 (made at the first call)."""
        from gongzhi.care import services as care_services

        if not hasattr(self.ids, "care_tag"):
            tag, _ = Tag.objects.get_or_create(name="预算关爱", defaults={"is_care": True})
            self.ids.care_tag = tag.pk
            self.ids.care_building = self._building(0, "关爱楼").pk
            care_services.plan_save(
                actor=self.people.community_worker, name="预算走访", tag_id=tag.pk,
                unit_code=self.tree.community.code, period="week",
            )  # fmt: skip
        return self.ids.care_tag

    def _care_resident(self, i: int, phone: str = ""):
        return registry_services.resident_save(
            actor=self.people.gw_a,
            data=registry_services.ResidentInput(
                name=f"关爱{i:03d}", phone=phone, building_id=self.ids.care_building,
                room=f"{i:03d}", tag_ids=[self._care_tag()],
            ),
        )  # fmt: skip

    def care_residents(self, count: int) -> list[str]:
        """Cared-for residents of grid A, each with a scheduled visit; markers: names."""
        from gongzhi.care import services as care_services

        self._care_tag()
        names = [self._care_resident(i).name for i in self._serials("care_residents", count)]
        care_services.plans_generate_all()
        return names

    def care_visits(self, count: int) -> list[str]:
        """Visits to one cared-for resident (`ids.care_resident`); markers: the notes."""
        from gongzhi.care import services as care_services

        self._care_tag()
        if not hasattr(self.ids, "care_resident"):
            self.ids.care_resident = self._care_resident(0).pk
        notes = []
        for i in self._serials("care_visits", count):
            notes.append(f"预算走访记录{i:03d}")
            care_services.visit_record(
                actor=self.people.gw_a, resident_id=self.ids.care_resident,
                client_id=f"budget-{i}", notes=notes[-1],
            )  # fmt: skip
        return notes

    def _care_wishes(self, kind: str, count: int, *, publish: bool, phone: str = "") -> list:
        from gongzhi.care import services as care_services

        self._care_tag()
        made = []
        for i in self._serials(kind, count):
            resident = self._care_resident(500 + self.serial[kind] + i, phone if i == 1 else "")
            if phone:
                resident = self.ids.care_wisher if hasattr(self.ids, "care_wisher") else resident
                self.ids.care_wisher = resident
            wish = care_services.wish_collect(
                actor=self.people.gw_a, resident_id=resident.pk, text=f"预算心愿{kind}{i:03d}"
            )
            if publish:
                care_services.wish_review(
                    actor=self.people.community_worker, wish_id=wish.pk, publish=True,
                    public_title=f"公开心愿{i:03d}", plan="计划",
                    target_on=timezone.localdate() + timezone.timedelta(days=30),
                )  # fmt: skip
            made.append(wish)
        return made

    def care_wishes(self, count: int) -> list[str]:
        """Wishes collected in grid A, awaiting review; markers: their texts."""
        return [w.text for w in self._care_wishes("care_wishes", count, publish=False)]

    def care_board(self, count: int) -> list[str]:
        """Wishes published on the board; markers: their public titles."""
        return [w.public_title for w in self._care_wishes("care_board", count, publish=True)]

    def care_my_wishes(self, count: int) -> list[str]:
        """Wishes of the resident whose phone the budget's "phone" client proved."""
        self.ids.phone = "13912345678"
        return [
            w.text for w in self._care_wishes("care_my", count, publish=False, phone=self.ids.phone)
        ]

    def care_plans(self, count: int) -> list[str]:
        """Visit plans of new cared-for groups over 桂园社区; markers: their names."""
        from gongzhi.care import services as care_services

        names = []
        for i in self._serials("care_plans", count):
            tag = Tag.objects.create(name=f"预算群体{i:03d}", is_care=True)
            names.append(f"预算计划{i:03d}")
            care_services.plan_save(
                actor=self.people.community_worker, name=names[-1], tag_id=tag.pk,
                unit_code=self.tree.community.code, period="month",
            )  # fmt: skip
        return names

    # -- disputes -----------------------------------------------------------------------

    def _dispute_parties(self):
        if not hasattr(self.ids, "dispute_residents"):
            a = registry_services.resident_save(
                actor=self.people.gw_a,
                data=registry_services.ResidentInput(
                    name="预算当事人甲", grid_id=self.tree.grid_a.pk
                ),
            )
            self.ids.dispute_residents = a.pk
        return [
            {"resident_id": self.ids.dispute_residents},
            {"name": "预算乙", "phone": "13700001111"},
        ]

    def disputes(self, count: int) -> list[str]:
        """Disputes in grid A, each with its mediator assigned (the list shows the name)."""
        from gongzhi.disputes import services as dispute_services
        from gongzhi.disputes.models import DisputeType

        type_id = DisputeType.objects.order_by("pk").values_list("pk", flat=True).first()
        if type_id is None:
            type_id = DisputeType.objects.create(name="邻里纠纷").pk
        mediator = getattr(self.ids, "dispute_mediator", None)
        if mediator is None:
            self.mediators(1)
            mediator = self.ids.dispute_mediator
        names = []
        for i in self._serials("disputes", count):
            names.append(f"预算纠纷{i:03d}")
            case, _ = dispute_services.dispute_register(
                actor=self.people.gw_a, grid_id=self.tree.grid_a.pk, type_id=type_id,
                source="screening", risk="ordinary", summary=names[-1],
                parties=self._dispute_parties(),
            )  # fmt: skip
            dispute_services.mediator_assign(
                actor=self.people.community_worker, dispute_id=case.pk, mediator_id=mediator
            )
            self.ids.dispute = case.pk
        return names

    def mediators(self, count: int) -> list[str]:
        """Mediators of the community, each a user of their own."""
        from gongzhi.disputes import services as dispute_services

        names = []
        for i in self._serials("mediators", count):
            names.append(f"预算调解员{i:03d}")
            user = UserFactory(username=f"budget_mediator_{i}", name=names[-1])
            m = dispute_services.mediator_add(
                actor=self.people.community_worker, user_id=user.pk,
                unit_id=self.tree.community.pk, kind="think_tank", team="智囊团",
            )  # fmt: skip
            self.ids.dispute_mediator = getattr(self.ids, "dispute_mediator", m.pk)
        return names

    def dispute_types(self, count: int) -> list[str]:
        from gongzhi.disputes.models import DisputeType

        names = []
        for i in self._serials("dispute_types", count):
            names.append(f"预算类型{i:03d}")
            DisputeType.objects.create(name=names[-1])
        return names

    def screening_units(self, count: int) -> list[str]:
        """Grids of the community, every other one with its report of this month."""
        from gongzhi.disputes import services as dispute_services

        today = timezone.localdate()
        names = []
        for i in self._serials("screening_units", count):
            names.append(f"预算网格{i:03d}")
            grid = OrgUnitFactory(
                code=f"{self.tree.community.code}{500 + i:03d}", name=names[-1],
                level=Level.GRID, parent=self.tree.community,
            )  # fmt: skip
            if i % 2:
                dispute_services.screening_file(
                    actor=self.people.community_worker, unit_id=grid.pk, year=today.year,
                    month=today.month, is_zero=True,
                )  # fmt: skip
        return names

    # -- points --------------------------------------------------------------------------

    def _points_rule(self):
        from gongzhi.points import services as points_services
        from gongzhi.points.models import RuleKind

        if not hasattr(self.ids, "points_bank"):
            rule = points_services.rule_save(
                actor=self.people.community_worker, org_code=self.tree.community.code,
                kind=RuleKind.CIVILITY, points=5,
            )  # fmt: skip
            self.ids.points_bank = rule.bank_id
        return points_services, RuleKind

    def points_balances(self, count: int) -> list[str]:
        """Residents of grid A with points in the community's bank; markers: names."""
        from gongzhi.registry.models import Resident

        points_services, kinds = self._points_rule()
        names = []
        for i in self._serials("points_balances", count):
            names.append(f"绿币居民{i:03d}")
            resident = Resident.objects.create(
                grid=self.tree.grid_a, org_code=self.tree.grid_a.code, name=names[-1]
            )
            points_services.points_award(
                source="budget", key=f"b{i}", kind=kinds.CIVILITY, resident=resident, amount=i
            )
        return names

    def points_movements(self, count: int) -> list[str]:
        """Awards to one resident (registered with `ids.phone`); markers: their notes."""
        from gongzhi.registry import pii
        from gongzhi.registry.models import Resident

        points_services, kinds = self._points_rule()
        if not hasattr(self.ids, "points_account"):
            self.ids.phone = "13987654321"
            resident = Resident.objects.create(
                grid=self.tree.grid_a, org_code=self.tree.grid_a.code, name="存折居民",
                **pii.seal_phone(self.ids.phone),
            )  # fmt: skip
            self.ids.points_account = points_services.account_for_resident(resident).pk
        notes = []
        for i in self._serials("points_movements", count):
            notes.append(f"绿币记录{i:03d}")
            points_services.points_award(
                source="budget", key=f"m{i}", kind=kinds.CIVILITY,
                account=points_services.Account.objects.get(pk=self.ids.points_account),
                amount=1, note=notes[-1],
            )  # fmt: skip
        return notes

    # -- volunteers and patrols -------------------------------------------------------------

    def _vol_volunteer(self, name: str, phone: str = ""):
        from gongzhi.volunteers import services as vol_services

        return vol_services.volunteer_add(
            actor=self.people.community_worker, unit_code=self.tree.community.code, name=name,
            phone=phone,
        )  # fmt: skip

    def _vol_activity(self, title: str, capacity: int = 100, hours: int = 24):
        import datetime as dt

        from gongzhi.volunteers import services as vol_services

        start = timezone.now() + dt.timedelta(hours=hours)
        return vol_services.activity_create(
            actor=self.people.community_worker, unit_code=self.tree.community.code, title=title,
            kind="civility", starts_at=start, ends_at=start + dt.timedelta(hours=2),
            place="预算地点", capacity=capacity,
        )  # fmt: skip

    def vol_volunteers(self, count: int) -> list[str]:
        """Volunteers of 桂园社区 (a partner's people: name and phone); markers: names."""
        names = [f"预算志愿者{i:03d}" for i in self._serials("vol_volunteers", count)]
        for name in names:
            self._vol_volunteer(name, "13600000000")
        return names

    def vol_activities(self, count: int) -> list[str]:
        """Upcoming activities of 桂园社区 (also on the public board); markers: titles."""
        titles = [f"预算活动{i:03d}" for i in self._serials("vol_activities", count)]
        for n, title in enumerate(titles):
            self._vol_activity(title, hours=24 + n)
        return titles

    def vol_signups(self, count: int) -> list[str]:
        """Volunteers signed up for one activity (`ids.vol_activity`); markers: names."""
        from gongzhi.volunteers import services as vol_services

        if not hasattr(self.ids, "vol_activity"):
            self.ids.vol_activity = self._vol_activity("预算签到活动").pk
        names = [f"预算报名{i:03d}" for i in self._serials("vol_signups", count)]
        for name in names:
            vol_services.signup_for(
                actor=self.people.community_worker, activity_id=self.ids.vol_activity,
                volunteer_id=self._vol_volunteer(name).pk,
            )  # fmt: skip
        return names

    def vol_hours(self, count: int) -> list[str]:
        """Hours entered by hand for one volunteer (`ids.vol_volunteer`), awaiting
        approval; markers: their notes."""
        from gongzhi.volunteers import services as vol_services

        if not hasattr(self.ids, "vol_volunteer"):
            self.ids.vol_volunteer = self._vol_volunteer("预算时长志愿者").pk
        notes = [f"预算时长{i:03d}" for i in self._serials("vol_hours", count)]
        for note in notes:
            vol_services.hours_request(
                actor=self.people.community_worker, volunteer_id=self.ids.vol_volunteer,
                minutes=60, served_on=timezone.localdate(), note=note,
            )  # fmt: skip
        return notes

    def vol_partners(self, count: int) -> list[str]:
        """Partners of 桂园社区 (professionals: no code); markers: names."""
        from gongzhi.volunteers import services as vol_services

        names = [f"预算合伙人{i:03d}" for i in self._serials("vol_partners", count)]
        for name in names:
            partner = vol_services.partner_save(
                actor=self.people.community_worker, unit_code=self.tree.community.code,
                kind="professional", name=name,
            )  # fmt: skip
            self.ids.vol_partner = getattr(self.ids, "vol_partner", partner.pk)
        return names

    def vol_roles(self, count: int) -> list[str]:
        """Roles of one partner (`ids.vol_partner`); markers: the roles."""
        from gongzhi.volunteers import services as vol_services

        if not hasattr(self.ids, "vol_partner"):
            self.vol_partners(1)
        roles = [f"预算角色{i:03d}" for i in self._serials("vol_roles", count)]
        for role in roles:
            vol_services.partner_role_add(
                actor=self.people.community_worker, partner_id=self.ids.vol_partner, role=role,
                starts_on="2026-01-01",
            )  # fmt: skip
        return roles

    def vol_mine(self, count: int) -> list[str]:
        """Activities the volunteer with the phone `ids.phone` signed up for; markers:
        the titles."""
        from gongzhi.registry import pii
        from gongzhi.registry.models import Resident
        from gongzhi.volunteers import services as vol_services

        if not hasattr(self.ids, "vol_mine"):
            self.ids.phone = "13912340000"
            resident = Resident.objects.create(
                grid=self.tree.grid_a, org_code=self.tree.grid_a.code, name="卡片志愿者",
                **pii.seal_phone(self.ids.phone),
            )  # fmt: skip
            self.ids.vol_mine = vol_services.volunteer_add(
                actor=self.people.community_worker, resident_id=resident.pk
            ).pk
        titles = [f"预算我的活动{i:03d}" for i in self._serials("vol_mine", count)]
        for title in titles:
            n = self.serial["vol_mine_hours"] = self.serial["vol_mine_hours"] + 3
            activity = self._vol_activity(title, hours=24 + n)
            vol_services.signup_for(
                actor=self.people.community_worker, activity_id=activity.pk,
                volunteer_id=self.ids.vol_mine,
            )  # fmt: skip
        return titles

    def patrols(self, count: int) -> list[str]:
        """Patrols of grid A by its grid worker; markers: the patrollers."""
        from gongzhi.patrols import services as patrol_services

        names = [f"预算巡逻{i:03d}" for i in self._serials("patrols", count)]
        for name in names:
            patrol = patrol_services.patrol_start(
                actor=self.people.gw_a, unit_code=self.tree.grid_a.code, patrollers=name
            )
            self.ids.patrol = getattr(self.ids, "patrol", patrol.pk)
        return names

    def patrol_points(self, count: int) -> list[str]:
        """Checkpoints visited on one patrol (`ids.patrol`); markers: their names."""
        from gongzhi.patrols import services as patrol_services

        if not hasattr(self.ids, "patrol"):
            self.patrols(1)
        names = [f"预算点{i:03d}" for i in self._serials("patrol_points", count)]
        for name in names:
            patrol_services.patrol_checkpoint(
                actor=self.people.gw_a, patrol_id=self.ids.patrol, name=name, note="正常"
            )
        return names

    # -- fieldwork ----------------------------------------------------------------------

    def fw_tasks(self, count: int) -> list[str]:
        """Tasks sent by the community worker to grids A and B; markers: their titles."""
        from gongzhi.fieldwork import services as fieldwork_services

        titles = [f"预算任务{i:03d}" for i in self._serials("fw_tasks", count)]
        for title in titles:
            task = fieldwork_services.task_create(
                actor=self.people.community_worker,
                title=title,
                kind="count",
                deadline=timezone.now() + dt.timedelta(days=3),
                targets={self.tree.grid_a.pk: 50, self.tree.grid_b.pk: 50},
            )
            self.ids.fw_task = getattr(self.ids, "fw_task", task.pk)
        return titles

    def fw_reports(self, count: int) -> list[str]:
        """Reports by grid A's worker on one task (`ids.fw_task`); markers: their notes."""
        from gongzhi.fieldwork import services as fieldwork_services

        if not hasattr(self.ids, "fw_task"):
            self.fw_tasks(1)
        notes = [f"预算回报{i:03d}" for i in self._serials("fw_reports", count)]
        for note in notes:
            fieldwork_services.task_report(
                actor=self.people.gw_a,
                task_id=self.ids.fw_task,
                client_id=note.encode().hex()[:64],
                grid_id=self.tree.grid_a.pk,
                count=1,
                note=note,
            )
        return notes

    # -- sharing ------------------------------------------------------------------------

    def _sharing_room(self):
        from gongzhi.sharing.models import Room

        if not hasattr(self.ids, "sharing_room"):
            room = Room.objects.create(
                org_unit=self.tree.community,
                org_code=self.tree.community.code,
                name="预算活动室",
                closed_on_holidays=False,
                min_minutes=10,
                buffer_minutes=0,
                needs_approval=True,
                opens_at=dt.time(0),
                closes_at=dt.time(23, 59),
            )
            self.ids.sharing_room = room.pk
            day = timezone.localdate() + dt.timedelta(days=1)
            self.ids.sharing_day = day.isoformat()
            self.ids.sharing_week = (day - dt.timedelta(days=day.weekday())).isoformat()
        return self.ids.sharing_room

    def sharing_bookings(self, count: int) -> list[str]:
        """Teams' requests for one room tomorrow (awaiting approval), 20 minutes each;
        markers: their titles."""
        from gongzhi.sharing import services as sharing

        room = self._sharing_room()
        day = dt.date.fromisoformat(self.ids.sharing_day)
        start = dt.datetime.combine(day, dt.time(1), tzinfo=timezone.get_current_timezone())
        titles = []
        for i in self._serials("sharing_bookings", count):
            titles.append(f"预算活动{i:03d}")
            a = start + dt.timedelta(minutes=20 * i)
            sharing.book_room(
                actor=self.people.community_worker,
                room_id=room,
                starts_at=a,
                ends_at=a + dt.timedelta(minutes=20),
                title=titles[-1],
                booker_kind="team",
            )
        return titles

    def sharing_my_bookings(self, count: int) -> list[str]:
        """Bookings of the resident whose phone the "phone" client proved; markers: titles
        (shown as the room's name and time: the titles are the rooms')."""
        from gongzhi.registry import pii
        from gongzhi.sharing import services as sharing
        from gongzhi.sharing.models import Room

        self.ids.phone = "13912340000"
        sealed = pii.seal_phone(self.ids.phone)
        held = {
            "hash": sealed["phone_hash"],
            "enc": sealed["phone_enc"],
            "masked": sealed["phone_masked"],
        }
        names = []
        for i in self._serials("sharing_my", count):
            names.append(f"预算房间{i:03d}")
            room = Room.objects.create(
                org_unit=self.tree.community,
                org_code=self.tree.community.code,
                name=names[-1],
                closed_on_holidays=False,
                opens_at=dt.time(0),
                closes_at=dt.time(23, 59),
            )
            a = timezone.now() + dt.timedelta(days=1)
            sharing.book_room(
                held=held,
                room_id=room.pk,
                starts_at=a,
                ends_at=a + dt.timedelta(hours=1),
                title="练歌",
            )
        return names

    def sharing_rooms(self, count: int) -> list[str]:
        """Rooms of 桂园社区; markers: their names."""
        from gongzhi.sharing.models import Room

        names = []
        for i in self._serials("sharing_rooms", count):
            names.append(f"预算功能室{i:03d}")
            Room.objects.create(
                org_unit=self.tree.community, org_code=self.tree.community.code, name=names[-1]
            )
        self.ids.sharing_unit = self.tree.community.pk
        return names

    def _sharing_hut(self):
        from gongzhi.sharing.models import Hut, ToolCategory

        if not hasattr(self.ids, "sharing_hut"):
            hut = Hut.objects.create(
                org_unit=self.tree.community, org_code=self.tree.community.code, name="预算小屋"
            )
            self.ids.sharing_hut = hut.pk
            self.ids.sharing_category = ToolCategory.objects.create(hut=hut, name="工具").pk
        return self.ids.sharing_hut

    def sharing_items(self, count: int) -> list[str]:
        """Items of one hut; markers: their names."""
        from gongzhi.sharing.models import Item

        hut = self._sharing_hut()
        names = []
        for i in self._serials("sharing_items", count):
            names.append(f"预算工具{i:03d}")
            Item.objects.create(
                hut_id=hut,
                category_id=self.ids.sharing_category,
                org_code=self.tree.community.code,
                number=f"YS-{i:03d}",
                name=names[-1],
            )
        if not hasattr(self.ids, "phone"):
            self.ids.phone = "13912340001"
            from gongzhi.registry import pii
            from gongzhi.registry.models import Resident

            Resident.objects.create(
                grid=self.tree.grid_a,
                org_code=self.tree.grid_a.code,
                name="借用居民",
                **pii.seal_phone(self.ids.phone),
            )
        return names

    def sharing_loans(self, count: int) -> list[str]:
        """Items each returned once this year by a resident; markers: the items' names."""
        from gongzhi.registry.models import Resident
        from gongzhi.sharing.models import Item, Loan

        names = self.sharing_items(count)
        resident = Resident.objects.filter(phone_hash__gt="").order_by("pk").first()
        out = timezone.now() - dt.timedelta(hours=2)
        for item in Item.objects.filter(name__in=names):
            Loan.objects.create(
                item=item,
                hut_id=item.hut_id,
                org_code=item.org_code,
                resident=resident,
                phone_hash=resident.phone_hash,
                state="returned",
                out_at=out,
                due_at=out + dt.timedelta(days=7),
                returned_at=out + dt.timedelta(hours=1),
            )
        return names

    def sharing_huts(self, count: int) -> list[str]:
        """Tool huts of 桂园社区; markers: their names."""
        from gongzhi.sharing.models import Hut

        names = []
        for i in self._serials("sharing_huts", count):
            names.append(f"预算共享小屋{i:03d}")
            Hut.objects.create(
                org_unit=self.tree.community, org_code=self.tree.community.code, name=names[-1]
            )
        return names

    # -- decide ------------------------------------------------------------------------

    def _decide_building(self):
        """A building of grid A with a household whose resident has `ids.phone`."""
        from gongzhi.registry import pii
        from gongzhi.registry.models import Household, Resident

        if not hasattr(self.ids, "decide_building"):
            building = self._building(0, "议事楼")
            household = Household.objects.create(
                org_code=building.org_code, building=building, room="101"
            )
            self.ids.phone = getattr(self.ids, "phone", "13911112222")
            Resident.objects.create(
                grid=self.tree.grid_a, org_code=self.tree.grid_a.code, household=household,
                name="议事居民", **pii.seal_phone(self.ids.phone),
            )  # fmt: skip
            self.ids.decide_building = building.pk
        return self.ids.decide_building

    def decide_polls(self, count: int) -> list[str]:
        """Open polls of one building's households; markers: their titles."""
        import datetime as dt

        from gongzhi.decide import services as decide

        building = self._decide_building()
        titles = []
        for i in self._serials("decide_polls", count):
            titles.append(f"预算投票{i:03d}")
            poll = decide.poll_create(
                actor=self.people.community_worker, title=titles[-1], kind="single",
                electorate="households", building_id=building, options=["同意", "不同意"],
                closes_at=timezone.now() + dt.timedelta(days=7),
            )  # fmt: skip
            decide.poll_open(actor=self.people.community_worker, poll_id=poll.pk)
        return titles

    def decide_topics(self, count: int) -> list[str]:
        """Topics of grid A, each with a resolution; markers: their titles."""
        from gongzhi.decide import services as decide

        titles = []
        for i in self._serials("decide_topics", count):
            titles.append(f"预算议题{i:03d}")
            topic = decide.topic_raise(actor=self.people.gw_a, unit_id=self.tree.grid_a.pk,
                                       title=titles[-1])  # fmt: skip
            decide.resolution_add(actor=self.people.gw_a, topic_id=topic.pk, text="决议",
                                  owner="物业", deadline="2030-01-01")  # fmt: skip
        return titles

    def decide_surveys(self, count: int) -> list[str]:
        from gongzhi.decide import services as decide

        titles = []
        for i in self._serials("decide_surveys", count):
            titles.append(f"预算问卷{i:03d}")
            decide.survey_create(
                actor=self.people.community_worker, unit_id=self.tree.community.pk,
                title=titles[-1], mode="verified",
                questions=[{"kind": "single", "text": "满意吗", "options": ["满意", "不满意"]}],
            )  # fmt: skip
        return titles

    def decide_suggestions(self, count: int) -> list[str]:
        """Suggestions to one call of 桂园社区 (`ids.decide_call`); markers: their texts."""
        from gongzhi.decide import services as decide

        if not hasattr(self.ids, "decide_call"):
            self.ids.decide_call = decide.call_open(
                actor=self.people.community_worker, unit_id=self.tree.community.pk,
                title="意见征集", deadline=timezone.localdate(),
            ).pk  # fmt: skip
        texts = []
        for i in self._serials("decide_suggestions", count):
            texts.append(f"预算建议{i:03d}")
            decide.suggestion_submit(
                call_id=self.ids.decide_call, text=texts[-1], submission_id=f"s{i}",
                actor=self.people.community_worker, channel="paper", name="王",
            )  # fmt: skip
        return texts

    def decide_entries(self, count: int, *, publish: bool = False) -> list[str]:
        from gongzhi.decide import services as decide

        today = timezone.localdate()
        titles = []
        for i in self._serials("decide_entries", count):
            titles.append(f"预算榜单{i:03d}")
            entry = decide.board_propose(
                actor=self.people.gw_a, unit_id=self.tree.grid_a.pk, color="red",
                title=titles[-1], text="好人好事", basis="记录",
            )  # fmt: skip
            if publish:
                decide.board_approve(actor=self.people.community_worker, entry_id=entry.pk,
                                     publish_from=today, publish_until=today)  # fmt: skip
        return titles

    def decide_public_board(self, count: int) -> list[str]:
        return self.decide_entries(count, publish=True)
