"""Benchmark: inspections at a city district's size (issue 16), against bare SQL in the
same run.

    .venv/bin/python bench/inspections.py [--db sqlite,postgres] [--premises 100000]

A private database each time (SQLite in a temporary folder; PostgreSQL
gongzhi_bench_inspections, dropped and made again) with one district of 4 subdistricts,
24 communities and 240 grids, --premises open premises over them, and one campaign.

- generate: a round for every premises (services.round_add: the round, its tasks by one
  INSERT … SELECT … ON CONFLICT DO NOTHING, the audit rows) — the target is under 10 s;
  the baseline is the bare INSERT … SELECT of the same rows, timed on a scratch round;
- progress: the campaign page's report (selectors.progress: per round, and one round
  per grid and per category: tasks, inspected, hazards, notices, re-inspections) at
  premises × 2 rounds with 60 % of round 1 and 30 % of round 2 inspected — against the
  same three GROUP BYs in bare SQL; target ≤ 2 ×;
- overdue: the overdue-notices list (selectors.notices_page(overdue=True), its first
  page of 50 with what the page shows) with a notice for 5 % of the premises, half of
  them overdue — against the bare SELECT … WHERE (the same area) ORDER BY deadline
  LIMIT 50; target ≤ 2 ×.

Importable: run(db, premises) returns the measurements; main() prints them.
"""

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import machine, setup_private, timed  # noqa: E402

PG_NAME = "gongzhi_bench_inspections"
GRIDS_PER_COMMUNITY, COMMUNITIES_PER_SUB, SUBS = 10, 6, 4


def _setup(db: str) -> None:
    setup_private(db, PG_NAME, "gongzhi-bench-insp-")


def _world(premises: int):
    """The tree, an operator of the district, and `premises` shops spread over the grids."""
    from django.utils import timezone

    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Level, Role
    from gongzhi.orgs.models import OrgUnit
    from gongzhi.registry.models import Premises, PremisesCategory

    district = OrgUnit.objects.create(code="990101", name="基准区", level=Level.DISTRICT)
    grids = []
    for s in range(1, SUBS + 1):
        sub = OrgUnit.objects.create(
            code=f"990101{s:03d}", name=f"街道{s}", level=Level.SUBDISTRICT, parent=district
        )
        for c in range(1, COMMUNITIES_PER_SUB + 1):
            com = OrgUnit.objects.create(
                code=f"{sub.code}{c:03d}", name=f"社区{s}-{c}", level=Level.COMMUNITY, parent=sub
            )
            grids += OrgUnit.objects.bulk_create(
                OrgUnit(code=f"{com.code}{g:03d}", name=f"第{g}网格", level=Level.GRID, parent=com)
                for g in range(1, GRIDS_PER_COMMUNITY + 1)
            )
    operator = User.objects.create(username="bench_op", name="基准值班员")
    Position.objects.create(
        user=operator, role=Role.OPERATOR, org_unit=district, org_code=district.code
    )
    categories = list(
        PremisesCategory.objects.filter(checklist_templates__is_active=True).distinct()
    )
    now = timezone.now()
    rows = (
        Premises(
            grid=grids[i % len(grids)],
            org_code=grids[i % len(grids)].code,
            name=f"店{i:06d}",
            category=categories[i % len(categories)],
            address=f"基准路{i}号",
            lng=112.4 + (i % 1000) / 10000,
            lat=34.6 + (i // 1000) / 10000,
            created_at=now,
            updated_at=now,
        )
        for i in range(premises)
    )
    batch = []
    for p in rows:
        batch.append(p)
        if len(batch) == 5000:
            Premises.objects.bulk_create(batch)
            batch = []
    Premises.objects.bulk_create(batch)
    return district, operator, categories


def _bare_generate(round_id: int) -> int:
    """The baseline: one INSERT … SELECT of the same tasks (a template per category)."""
    from django.db import connection

    from gongzhi.inspections.models import InspectionRound
    from gongzhi.inspections.services import templates_by_category

    round_ = InspectionRound.objects.get(pk=round_id)
    pairs = templates_by_category(list(round_.campaign.categories.values_list("pk", flat=True)))
    case = " ".join(f"WHEN {c} THEN {t}" for c, t in pairs.items())
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO inspections_inspectiontask "
            "(round_id, premises_id, org_code, template_id, due_on, state, item_keys, created_at) "
            f"SELECT %s, p.id, p.org_code, CASE p.category_id {case} END, %s, 'open', '[]', %s "
            "FROM registry_premises p WHERE p.is_active "
            f"AND p.category_id IN ({','.join(str(c) for c in pairs)}) "
            "AND p.org_code >= %s AND p.org_code < %s",
            [round_id, round_.due_on, dt.datetime.now(dt.UTC), "990101", "990101:"],
        )
        return cur.rowcount


def run(db: str, premises: int, repeat: int = 5) -> dict:
    _setup(db)
    from django.db import connection, transaction
    from django.utils import timezone

    from gongzhi.cases.models import Case, Category, Channel, State
    from gongzhi.inspections import selectors, services
    from gongzhi.inspections.models import (
        ChecklistTemplate,
        HazardDetail,
        InspectionResult,
        InspectionRound,
        InspectionTask,
        RectificationNotice,
        TaskState,
    )

    t0 = time.perf_counter()
    district, operator, categories = _world(premises)
    out = {"db": db, "premises": premises, "setup_s": round(time.perf_counter() - t0, 1)}
    today = timezone.localdate()
    campaign = services.campaign_create(
        actor=operator,
        unit_code=district.code,
        name="基准整治",
        starts_on=today,
        ends_on=today + dt.timedelta(days=60),
        category_ids=[c.pk for c in categories],
    )

    # -- generate: the service against the bare INSERT … SELECT -------------------------
    scratch = InspectionRound.objects.create(
        campaign=campaign, number=99, starts_on=today, due_on=today, created_by=operator
    )
    t0 = time.perf_counter()
    with transaction.atomic():
        bare_rows = _bare_generate(scratch.pk)
    bare_s = time.perf_counter() - t0
    InspectionTask.objects.filter(round=scratch).delete()
    scratch.delete()
    t0 = time.perf_counter()
    round1 = services.round_add(
        actor=operator,
        campaign_id=campaign.pk,
        starts_on=today,
        due_on=today + dt.timedelta(days=20),
    )
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = services.round_generate(actor=operator, round_id=round1.pk)
    again_s = time.perf_counter() - t0
    out["generate"] = {
        "tasks": round1.tasks.count(),
        "bare_rows": bare_rows,
        "ours_s": round(ours_s, 2),
        "bare_s": round(bare_s, 2),
        "ratio": round(ours_s / bare_s, 2),
        "again_made": again,
        "again_s": round(again_s, 2),
    }
    round2 = services.round_add(
        actor=operator,
        campaign_id=campaign.pk,
        starts_on=today + dt.timedelta(days=21),
        due_on=today + dt.timedelta(days=40),
    )

    # -- results and notices, in bulk (the rows the pages read) --------------------------
    version = {t.pk: t.current for t in ChecklistTemplate.objects.all()}
    now = timezone.now()
    category = Category.objects.filter(parent__isnull=False).first()
    for round_, share in ((round1, 0.6), (round2, 0.3)):
        ids = list(round_.tasks.order_by("pk").values_list("pk", "template_id"))
        done = ids[: int(len(ids) * share)]
        InspectionTask.objects.filter(pk__in=[i for i, _ in done]).update(state=TaskState.DONE)
        for start in range(0, len(done), 5000):
            InspectionResult.objects.bulk_create(
                InspectionResult(
                    task_id=i,
                    version=version[t],
                    client_id=f"b{i}",
                    outcome="inspected",
                    passed=True,
                    inspector=operator,
                    received_at=now,
                )
                for i, t in done[start : start + 5000]
            )
    hazardous = list(
        round1.tasks.select_related("premises").order_by("pk")[: max(1, premises // 20)]
    )
    cases = Case.objects.bulk_create(
        Case(
            number=f"SJB{n:012d}",
            kind="hazard",
            channel=Channel.PATROL,
            category=category,
            title=f"{t.premises.name}存在安全隐患",
            state=State.IN_PROGRESS,
            grid_id=t.premises.grid_id,
            org_code=t.premises.org_code,
            reported_by=operator,
            reported_at=now,
        )
        for n, t in enumerate(hazardous)
    )
    item = [{"key": "extinguisher", "text": "灭火器", "severity": "high", "note": "", "basis": ""}]
    HazardDetail.objects.bulk_create(
        HazardDetail(case=c, premises_id=t.premises_id, task=t, items=item, severity="high")
        for c, t in zip(cases, hazardous, strict=True)
    )
    RectificationNotice.objects.bulk_create(
        RectificationNotice(
            number=f"ZGB{n:08d}",
            hazard=c,
            premises_id=t.premises_id,
            items=item,
            days=5,
            deadline=today - dt.timedelta(days=1 + n % 30)
            if n % 2
            else today + dt.timedelta(days=5),
            issued_by=operator,
            issuer_name="基准",
            issuer_unit="社区",
            issued_at=now,
        )
        for n, (c, t) in enumerate(zip(cases, hazardous, strict=True))
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    # -- progress: the selector against one bare GROUP BY -------------------------------
    def ours_progress():
        p = selectors.progress(operator, campaign)
        return p.rounds[0][1].inspected

    def bare_progress():
        """The same three GROUP BYs the report makes: tasks, their hazards' notices, and
        the re-inspections, per round, org code and category."""
        with connection.cursor() as cur:
            cur.execute(
                "SELECT t.round_id, t.org_code, p.category_id, COUNT(*), "
                "SUM(CASE WHEN t.state = 'done' THEN 1 ELSE 0 END), COUNT(r.hazard_id) "
                "FROM inspections_inspectiontask t "
                "JOIN inspections_inspectionround rd ON rd.id = t.round_id "
                "JOIN registry_premises p ON p.id = t.premises_id "
                "LEFT JOIN inspections_inspectionresult r ON r.task_id = t.id "
                "WHERE rd.campaign_id = %s GROUP BY t.round_id, t.org_code, p.category_id",
                [campaign.pk],
            )
            n = len(cur.fetchall())
            cur.execute(
                "SELECT t.round_id, t.org_code, n.premises_id, "
                "SUM(CASE WHEN n.state = 'open' THEN 1 ELSE 0 END) "
                "FROM inspections_rectificationnotice n "
                "JOIN inspections_hazarddetail h ON h.case_id = n.hazard_id "
                "JOIN inspections_inspectiontask t ON t.id = h.task_id "
                "JOIN inspections_inspectionround rd ON rd.id = t.round_id "
                "WHERE rd.campaign_id = %s GROUP BY t.round_id, t.org_code, n.premises_id",
                [campaign.pk],
            )
            n += len(cur.fetchall())
            cur.execute(
                "SELECT o.round_id, t.org_code, COUNT(*) FROM inspections_inspectionresult r "
                "JOIN inspections_inspectiontask t ON t.id = r.task_id "
                "JOIN inspections_inspectiontask o ON o.id = t.reinspects_id "
                "JOIN inspections_inspectionround rd ON rd.id = o.round_id "
                "WHERE rd.campaign_id = %s GROUP BY o.round_id, t.org_code",
                [campaign.pk],
            )
            return n + len(cur.fetchall())

    ours, bare = timed(ours_progress, repeat), timed(bare_progress, repeat)
    out["progress"] = {
        "tasks": InspectionTask.objects.count(),
        "ours_ms": round(ours["median"] * 1000, 1),
        "bare_ms": round(bare["median"] * 1000, 1),
        "ratio": round(ours["median"] / bare["median"], 2),
    }

    # -- overdue notices: the first page against the bare query -------------------------
    def ours_overdue():
        rows, _next = selectors.notices_page(operator, overdue=True)
        return rows

    def bare_overdue():
        # What the page shows of each notice (selectors.NOTICE_ROW), in the reader's area.
        with connection.cursor() as cur:
            cur.execute(
                "SELECT n.id, n.number, n.seq, n.items, n.days, n.deadline, n.state, "
                "n.service, n.served_at, n.issuer_name, n.issuer_unit, n.issued_at, "
                "n.closed_at, n.hazard_id, n.premises_id, c.number, p.name "
                "FROM inspections_rectificationnotice n "
                "JOIN registry_premises p ON p.id = n.premises_id "
                "JOIN cases_case c ON c.id = n.hazard_id "
                "WHERE n.state = 'open' AND n.deadline < %s "
                "AND c.org_code >= %s AND c.org_code < %s "  # the reader's area, as ours
                "ORDER BY n.deadline, n.id LIMIT 51",
                [today, district.code, district.code + ":"],
            )
            return cur.fetchall()[:50]

    assert len(ours_overdue()) == len(bare_overdue()) == 50
    ours, bare = timed(ours_overdue, repeat * 4), timed(bare_overdue, repeat * 4)
    out["overdue"] = {
        "notices": len(cases),
        "ours_ms": round(ours["median"] * 1000, 2),
        "bare_ms": round(bare["median"] * 1000, 2),
        "ratio": round(ours["median"] / bare["median"], 2),
    }
    return out


def report(r: dict) -> str:
    g, p, o = r["generate"], r["progress"], r["overdue"]
    ok = lambda good: "met" if good else "NOT MET"  # noqa: E731
    return "\n".join(
        [
            f"{r['db']}: {r['premises']:,} premises (set up in {r['setup_s']} s)",
            f"  generate a round: {g['tasks']:,} tasks in {g['ours_s']} s "
            f"(bare INSERT…SELECT {g['bare_s']} s, {g['ratio']} ×; "
            f"< 10 s: {ok(g['ours_s'] < 10)}); "
            f"again: {g['again_made']} made in {g['again_s']} s",
            f"  campaign progress over {p['tasks']:,} tasks: {p['ours_ms']} ms "
            f"(bare GROUP BY {p['bare_ms']} ms, {p['ratio']} ×; ≤ 2 ×: {ok(p['ratio'] <= 2)})",
            f"  overdue notices, first 50 of {o['notices']:,} notices: {o['ours_ms']} ms "
            f"(bare {o['bare_ms']} ms, {o['ratio']} ×; ≤ 2 ×: {ok(o['ratio'] <= 2)})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--premises", type=int, default=100_000)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one database a process: Django is set up once
        print(json.dumps(run(args.child, args.premises)))
        return 0
    import subprocess

    print(f"inspections benchmark; {machine()}")
    for db in args.db.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", db, "--premises", str(args.premises)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        print(report(json.loads(proc.stdout.strip().splitlines()[-1])), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
