"""The decide demo on the small demo district: 31 resolved topics with their entries, an
election per building of one grid written into the buildings' heads, the satisfaction
survey, a call with replies, a board; running it twice changes nothing."""

from gongzhi.decide import selectors, services
from gongzhi.decide.models import BoardEntry, Poll, Resolution, Response, Suggestion, Survey, Topic
from gongzhi.registry.models import BuildingRole


def test_decide_demo(small_demo):
    assert "居民议事" in small_demo.output
    assert Resolution.objects.filter(state="done", done_entry__isnull=False).count() == 31
    assert Topic.objects.filter(state="resolved").count() == 31
    elections = Poll.objects.filter(kind="election", state="closed")
    assert elections.exists()
    for poll in elections:
        assert poll.result == services.poll_count(poll)
        if poll.result["winners"]:
            assert BuildingRole.objects.filter(building=poll.building, role="head").count() == 1
    survey = Survey.objects.get()
    sat = selectors.satisfaction(survey)
    assert sat["whole"] == Response.objects.count() and sat["percent"] >= 99
    assert Suggestion.objects.exclude(reply="").exists()
    assert BoardEntry.objects.filter(state="published").count() == 2
