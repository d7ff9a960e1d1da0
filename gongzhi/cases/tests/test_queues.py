"""The queues: work queues hold the caller's area; "all" and "mine" also what the caller
reported elsewhere. Counts stop at a cap: the tabs and the workbench say "N+" instead of
counting every case of a district on each visit."""

from gongzhi.accounts.models import Position, User
from gongzhi.cases import selectors


def test_queue_counts__stop_past_the_cap(people, report, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for i in range(4):
        report(title=f"问题{i}")
    counts = selectors.queue_counts(people.op_sub, ["new", "all", "to_dispatch"])
    assert counts == {"new": 3, "all": 3, "to_dispatch": 0}
    assert selectors.count_label(counts["new"]) == "2+"
    assert selectors.count_label(2) == "2"


def test_queue_counts__api_says_more_and_the_page_shows_plus(people, report, login, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for i in range(3):
        report(title=f"问题{i}")
    client = login(people.op_sub)
    queues = {q["key"]: q for q in client.get("/api/v1/cases/queues").json()}
    assert queues["new"] == {**queues["new"], "count": 2, "more": True}
    assert queues["to_dispatch"]["count"] == 0 and queues["to_dispatch"]["more"] is False

    page = client.get("/cases/?queue=new").content.decode()
    assert 'data-queue="new"' in page and "<b>2+</b>" in page
    home = client.get("/").content.decode()
    assert "<strong>2+</strong>" in home


def test_queue_counts__below_the_cap_are_exact(people, report, login):
    for i in range(3):
        report(title=f"问题{i}")
    client = login(people.op_sub)
    queues = {q["key"]: q for q in client.get("/api/v1/cases/queues").json()}
    assert queues["new"]["count"] == 3 and queues["new"]["more"] is False
    assert "<b>3</b>" in client.get("/cases/?queue=new").content.decode()


def test_work_queues_hold_the_area__all_and_mine_also_what_i_reported_elsewhere(
    people, tree, report
):
    """A grid worker moved from grid B to grid A keeps the cases they reported in B."""
    mine_elsewhere = report(actor=people.gw_a, grid_id=tree.grid_a.pk)
    at_home = report(actor=people.gw_b, grid_id=tree.grid_b.pk)
    Position.objects.filter(user=people.gw_a).update(
        org_unit=tree.grid_b, org_code=tree.grid_b.code
    )
    moved = User.objects.get(pk=people.gw_a.pk)

    def ids(key):
        return set(selectors.queue(moved, key)[0].values_list("pk", flat=True))

    assert ids("all") == {mine_elsewhere.pk, at_home.pk}
    assert ids("mine") == {mine_elsewhere.pk}
    assert ids("new") == {at_home.pk}  # a work queue: grid B's cases only
