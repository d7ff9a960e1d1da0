# ruff: noqa: E501  (SQL statements and report lines read better unbroken)
"""Benchmark: residents' decisions (issue 22), against bare SQL in the same run.

    .venv/bin/python bench/decide.py [--db sqlite,postgres] [--households 500]
                                     [--responses 100000] [--topics 20000]

A private database each time (SQLite in a temporary folder; PostgreSQL
gongzhi_bench_decide, dropped and made again) with a district of 4 × 6 × 10 grids.

- election: a building of --households households (a resident with a phone each), an
  election of its 楼栋长 opened through the services (the electorate frozen); then 100
  residents vote at once from 25 threads (services.ballot_cast_web), each also sending
  the same ballot a second time at the same moment (200 attempts); then the poll is
  closed. Exact when 100 ballots are stored, the 100 repeats were refused as already
  voted, the count per candidate equals the votes sent, and the re-run count
  (services.poll_count) equals the published one;
- survey results: a satisfaction survey of 4 questions (single choice, rating, multiple
  choice, a 3 × 3 matrix) with --responses responses (about 6.5 answers each, inserted by
  INSERT … SELECT): selectors.survey_results (counts per option and row, ratings, 满意率
  with its N) against the same aggregates in bare SQL; target ≤ 2 ×;
- deliberation board: --topics topics spread over the district's grids, each with a
  resolution: the district operator's board (selectors.board: the latest 200 topics in
  scope and their resolutions; the user and positions as a request holds them) against
  the two bare SELECTs; target ≤ 2 ×; and
  the district's resolutions-done count, timed.

Importable: run(db, ...) returns the measurements; main() prints them.
"""

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from common import district_tree, machine, private_database, timed  # noqa: E402

PG_NAME = os.environ.get("DECIDE_BENCH_DB", "gongzhi_bench_decide")
VOTERS, THREADS = 100, 25


def _series(vendor: str, n: int) -> str:
    """A FROM clause of the integers 1 … n as column g."""
    if vendor == "postgresql":
        return f"generate_series(1, {n}) AS s(g)"
    return f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) SELECT g FROM s) AS s"


def _election(grid, worker, households: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from gongzhi.decide import services
    from gongzhi.decide.models import Ballot
    from gongzhi.registry import pii
    from gongzhi.registry.models import Building, Household, Resident

    building = Building.objects.create(grid=grid, org_code=grid.code, name="基准楼")
    homes = Household.objects.bulk_create(
        Household(org_code=grid.code, building=building, room=f"{i:04d}") for i in range(households)
    )
    phones = [f"139{i:08d}" for i in range(households)]
    people = Resident.objects.bulk_create(
        Resident(
            grid=grid,
            org_code=grid.code,
            household=h,
            name=f"住户{i:04d}",
            **pii.seal_phone(phones[i]),
        )
        for i, h in enumerate(homes)
    )
    poll = services.poll_create(
        actor=worker,
        title="基准楼楼栋长选举",
        kind="election",
        electorate="households",
        building_id=building.pk,
        role="head",
        candidate_ids=[people[0].pk, people[1].pk],
        closes_at=timezone.now() + timezone.timedelta(days=1),
    )
    t0 = time.perf_counter()
    poll = services.poll_open(actor=worker, poll_id=poll.pk)
    open_s = time.perf_counter() - t0
    a, b = poll.options.all()
    sent = {a.pk: 0, b.pk: 0}
    jobs = []
    for i in range(VOTERS):
        choice = a.pk if i % 3 else b.pk
        sent[choice] += 1
        sealed = pii.seal_phone(phones[i])
        held = {
            "hash": sealed["phone_hash"],
            "enc": sealed["phone_enc"],
            "masked": sealed["phone_masked"],
        }
        jobs += [(held, choice), (held, choice)]  # the same ballot twice at once
    results, lock = [], threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(k):
        mine = jobs[k::THREADS]
        try:
            barrier.wait(timeout=30)
            for held, choice in mine:
                try:
                    services.ballot_cast_web(held=held, poll_id=poll.pk, option_ids=[choice])
                    out = "ok"
                except Exception as exc:  # the outcome under test
                    out = getattr(exc, "code", repr(exc))
                with lock:
                    results.append(out)
        finally:
            connection.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    vote_s = time.perf_counter() - t0
    poll = services.poll_close(actor=worker, poll_id=poll.pk)
    votes = {o["id"]: o["votes"] for o in poll.result["options"]}
    stored = Ballot.objects.filter(poll=poll).count()
    return {
        "households": households,
        "electorate": poll.electorate_size,
        "open_s": round(open_s, 2),
        "attempts": len(jobs),
        "stored": stored,
        "ok": results.count("ok"),
        "already_voted": results.count("already_voted"),
        "other": sorted({r for r in results if r not in ("ok", "already_voted")}),
        "vote_s": round(vote_s, 2),
        "ballots_per_s": round(stored / vote_s, 1),
        "exact": stored == VOTERS
        and votes == sent
        and results.count("already_voted") == VOTERS
        and services.poll_count(poll) == poll.result,
    }


def _survey(vendor: str, community, worker, responses: int):
    from django.db import connection

    from gongzhi.decide import services
    from gongzhi.decide.models import Answer, Response

    survey = services.survey_create(
        actor=worker,
        unit_id=community.pk,
        title="年度满意度调查",
        mode="anonymous",
        questions=[
            {
                "kind": "single",
                "text": "总体满意度",
                "options": ["满意", "基本满意", "不满意"],
                "satisfied": [0, 1],
                "satisfaction": True,
            },
            {"kind": "rating", "text": "环境卫生"},
            {
                "kind": "multiple",
                "text": "希望的活动",
                "options": ["义诊", "理发", "法律咨询"],
                "required": False,
            },
            {
                "kind": "matrix",
                "text": "服务评价",
                "options": ["好", "一般", "差"],
                "rows": ["网格员", "物业", "巡逻"],
                "required": False,
            },
        ],
    )
    q1, q2, q3, q4 = survey.questions.all()
    o1 = list(q1.options.values_list("pk", flat=True))
    o3 = list(q3.options.values_list("pk", flat=True))
    o4 = list(q4.options.values_list("pk", flat=True))
    r, a = Response._meta.db_table, Answer._meta.db_table
    now = "now()" if vendor == "postgresql" else "CURRENT_TIMESTAMP"
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute(
            f"INSERT INTO {r} (survey_id, respondent, submission_id, at) "
            f"SELECT {survey.pk}, 't:' || g, 's' || g, {now} FROM {_series(vendor, responses)}"
        )
        base = f"FROM {r} WHERE survey_id = {survey.pk}"
        cols = "(response_id, question_id, option_id, row, value, text)"
        c.execute(
            f"INSERT INTO {a} {cols} SELECT id, {q1.pk}, CASE WHEN id % 1000 < 998 THEN {o1[0]} ELSE {o1[2]} END, NULL, NULL, '' {base}"
        )
        c.execute(f"INSERT INTO {a} {cols} SELECT id, {q2.pk}, NULL, NULL, 1 + id % 5, '' {base}")
        for i, opt in enumerate(o3):
            c.execute(
                f"INSERT INTO {a} {cols} SELECT id, {q3.pk}, {opt}, NULL, NULL, '' {base} AND id % {i + 2} = 0"
            )
        for row in range(3):
            c.execute(
                f"INSERT INTO {a} {cols} SELECT id, {q4.pk}, CASE WHEN id % 3 = 0 THEN {o4[0]} WHEN id % 3 = 1 THEN {o4[1]} ELSE {o4[2]} END, {row}, NULL, '' {base}"
            )
        if vendor == "postgresql":
            c.execute(f"ANALYZE {r}")
            c.execute(f"ANALYZE {a}")
    load_s = time.perf_counter() - t0
    return survey, load_s


def run(db: str, households: int, responses: int, topics: int, repeat: int = 10) -> dict:
    private_database(db, PG_NAME, "gongzhi-bench-decide-")
    from django.db import connection

    from gongzhi.accounts.models import Position, User
    from gongzhi.core.roles import Role
    from gongzhi.decide import selectors
    from gongzhi.decide.models import Answer, Resolution, Topic

    vendor = connection.vendor
    district, grids, operator = district_tree()
    community = grids[0].parent
    worker = User.objects.create(username="bench_cw", name="社区工作者")
    Position.objects.create(
        user=worker, role=Role.COMMUNITY_WORKER, org_unit=community, org_code=community.code
    )
    out = {"db": vendor}
    out["election"] = _election(grids[0], worker, households)

    survey, load_s = _survey(vendor, community, worker, responses)
    out["survey_load_s"] = round(load_s, 1)
    out["answers"] = Answer.objects.filter(question__survey=survey).count()
    qids = list(survey.questions.values_list("pk", flat=True))
    sat_q = survey.satisfaction_question_id

    def ours_survey():
        return selectors.survey_results(survey)

    def bare_survey():
        with connection.cursor() as c:
            c.execute(
                "SELECT question_id, option_id, row, value, COUNT(*) FROM decide_answer "
                f"WHERE question_id IN ({','.join(map(str, qids))}) GROUP BY question_id, option_id, row, value"
            )
            c.fetchall()
            c.execute("SELECT COUNT(*) FROM decide_response WHERE survey_id = %s", [survey.pk])
            c.fetchall()
            c.execute(
                "SELECT COUNT(*), COUNT(CASE WHEN o.satisfied THEN 1 END) FROM decide_answer a "
                "LEFT JOIN decide_option o ON o.id = a.option_id WHERE a.question_id = %s",
                [sat_q],
            )
            c.fetchall()

    result = ours_survey()
    out["satisfaction"] = result["satisfaction"]
    ours, bare = timed(ours_survey, repeat), timed(bare_survey, repeat)
    out["survey"] = {
        "responses": result["responses"],
        "ours_ms": round(ours["median"] * 1000, 1),
        "p95_ms": round(ours["p95"] * 1000, 1),
        "bare_ms": round(bare["median"] * 1000, 1),
        "ratio": round(ours["median"] / bare["median"], 2),
    }

    t0 = time.perf_counter()
    t_table, r_table = Topic._meta.db_table, Resolution._meta.db_table
    now = "now()" if vendor == "postgresql" else "CURRENT_TIMESTAMP"
    codes = [g.code for g in grids]
    with connection.cursor() as c:
        for code in codes:
            n = topics // len(codes)
            c.execute(
                f"INSERT INTO {t_table} (org_code, title, description, raised_by_kind, raiser_name, state, created_at, phone_enc, phone_hash, phone_masked) "
                f"SELECT '{code}', '议题' || g, '', 'staff', '网格员', 'discussed', {now}, '', '', '' FROM {_series(vendor, n)}"
            )
        c.execute(
            f"INSERT INTO {r_table} (org_code, topic_id, text, owner, deadline, state, progress, created_at) "
            f"SELECT org_code, id, '决议', '物业', '2030-01-01', 'open', 50, {now} FROM {t_table}"
        )
        if vendor == "postgresql":
            c.execute(f"ANALYZE {t_table}")
            c.execute(f"ANALYZE {r_table}")
    out["topics"] = Topic.objects.count()
    out["topics_load_s"] = round(time.perf_counter() - t0, 1)

    def ours_board():
        # The request's user and positions are read once per request by the middleware,
        # not by the board (as bench/points.py passes its worker).
        return selectors.board(operator)

    def bare_board():
        with connection.cursor() as c:
            c.execute(
                f"SELECT id, org_code, title, state, raised_by_kind, raiser_name, created_at FROM {t_table} "
                "WHERE org_code >= %s AND org_code < %s ORDER BY created_at DESC, id DESC LIMIT 200",
                [district.code, district.code + ":"],
            )
            ids = [row[0] for row in c.fetchall()]
            c.execute(
                f"SELECT id, topic_id, text, owner, deadline, state, progress FROM {r_table} "
                f"WHERE topic_id IN ({','.join(map(str, ids))}) ORDER BY deadline, id"
            )
            c.fetchall()

    assert len(ours_board()) == 200
    ours, bare = timed(ours_board, repeat), timed(bare_board, repeat)
    out["board"] = {
        "ours_ms": round(ours["median"] * 1000, 1),
        "p95_ms": round(ours["p95"] * 1000, 1),
        "bare_ms": round(bare["median"] * 1000, 1),
        "ratio": round(ours["median"] / bare["median"], 2),
    }
    counts = timed(lambda: selectors.deliberation_counts(district.code), repeat)
    out["counts_ms"] = round(counts["median"] * 1000, 1)
    return out


def report(r: dict) -> str:
    def ok(b):
        return "yes" if b else "NO"

    e, s, b = r["election"], r["survey"], r["board"]
    sat = r["satisfaction"]
    return "\n".join(
        [
            f"{r['db']}:",
            f"  election of {e['households']} households (electorate {e['electorate']}, frozen in {e['open_s']} s): {e['attempts']} attempts from {THREADS} threads in {e['vote_s']} s; {e['stored']} stored, {e['ok']} accepted, {e['already_voted']} refused as already voted, other {e['other']}; counted exactly: {ok(e['exact'])}",
            f"  survey results over {s['responses']:,} responses ({r['answers']:,} answers, loaded in {r['survey_load_s']} s): {s['ours_ms']} ms (p95 {s['p95_ms']}; bare {s['bare_ms']} ms, {s['ratio']} ×; ≤ 2 ×: {ok(s['ratio'] <= 2)}); 满意率 {sat['percent']}% ({sat['part']:,}/{sat['whole']:,})",
            f"  deliberation board of the district ({r['topics']:,} topics and resolutions, loaded in {r['topics_load_s']} s): {b['ours_ms']} ms (p95 {b['p95_ms']}; bare {b['bare_ms']} ms, {b['ratio']} ×; ≤ 2 ×: {ok(b['ratio'] <= 2)}); resolutions done of the district: {r['counts_ms']} ms",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=20_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one database per process (Django is set up once)
        print(json.dumps(run(args.db, args.households, args.responses, args.topics)))
        return
    import subprocess

    print(machine())
    for db in args.db.split(","):
        db = "postgresql" if db.startswith("postgres") else db
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--db",
                db,
                "--households",
                str(args.households),
                "--responses",
                str(args.responses),
                "--topics",
                str(args.topics),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        print(report(json.loads(proc.stdout.strip().splitlines()[-1])))


if __name__ == "__main__":
    main()
