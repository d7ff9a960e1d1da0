"""Disputes on the command center: a section of the dashboard and the monthly report with
the figures only — no party's name, phone or account anywhere in it."""

from django.utils import timezone

from gongzhi.command.sections import app_sections


def test_the_section_shows_figures_and_no_party(disp, people, tree, login):
    disp.register()
    today = timezone.localdate()
    sections = {s.name: s for s in app_sections(people.op_sub, tree.sub, today, today)}
    rows = {key: value for key, _label, value in sections["disputes"].rows}
    assert rows["registered"] == 1 and rows["concluded"] == 0 and rows["success_rate"] == "—"
    client = login(people.leader)  # figures only: disputes.stats
    page = client.get(
        "/command/", {"unit": tree.sub.code, "period": "custom", "start": today, "end": today}
    ).content.decode()
    assert 'id="section-disputes"' in page
    for secret in ("李大爷", "王强", "13912345678", "139****5678", "索赔三千元"):
        assert secret not in page
    monthly = client.get(
        "/api/v1/command/monthly", {"unit": tree.sub.code, "month": today.strftime("%Y-%m")}
    ).json()
    shown = next(s for s in monthly["sections"] if s["name"] == "disputes")
    assert {r["key"]: r["value"] for r in shown["rows"]}["registered"] == 1
    assert "王强" not in str(monthly)


def test_no_section_without_the_disputes_figures(disp, people, tree):
    disp.register()
    today = timezone.localdate()
    assert "disputes" not in {s.name for s in app_sections(people.op_sub, tree.sub2, today, today)}
