"""Residents' decisions in a real browser: the community worker's deliberation board, an
election's published count and the satisfaction survey's charts on a desk (and the
board on a phone); the public red/black board and the survey's public results on a
phone, as residents open them from a WeChat link."""

import pytest
from playwright.sync_api import expect

from gongzhi.decide.models import BoardEntry, Poll, Survey

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def _fits(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def test_the_board_an_election_and_the_survey_charts(web):
    page = web.page
    page.set_viewport_size(DESKTOP)
    web.login("shequ1")
    page.goto(web.url("/decide/?state=resolved"))
    expect(page.locator("main")).to_contain_text("已解决")
    web.shoot("decide-board-desktop", DESKTOP)
    web.shoot("decide-board-phone", PHONE)
    _fits(page)
    page.set_viewport_size(DESKTOP)
    poll = Poll.objects.filter(kind="election", state="closed").order_by("pk").first()
    page.goto(web.url(f"/decide/polls/{poll.pk}/"))
    expect(page.locator("main")).to_contain_text("参与率")
    web.shoot("decide-election-desktop", DESKTOP)
    survey = Survey.objects.get()
    page.goto(web.url(f"/decide/surveys/{survey.pk}/"))
    expect(page.locator("main")).to_contain_text("满意率")
    page.wait_for_selector(".dc-chart canvas")
    web.shoot("decide-survey-desktop", DESKTOP)
    web.assert_all_local()


def test_the_public_board_and_results_on_a_phone(web):
    page = web.page
    page.set_viewport_size(PHONE)
    code = BoardEntry.objects.values_list("org_code", flat=True).first()
    page.goto(web.url(f"/board/{code}/"))
    expect(page.locator("main")).to_contain_text("红榜")
    expect(page.locator("main")).to_contain_text("高空抛物")
    web.shoot("decide-public-board-phone", PHONE)
    _fits(page)
    survey = Survey.objects.get()
    page.goto(web.url(f"/surveys/{survey.pk}/results/"))
    page.wait_for_selector(".dc-chart canvas")
    web.shoot("decide-public-results-phone", PHONE)
    _fits(page)
    web.assert_all_local()
