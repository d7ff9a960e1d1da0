"""Residents decide (居民议事): polls and elections, deliberation, surveys, the suggestion
box and the red/black board (红黑榜).

    Poll ─< PollOption (a choice or a candidate)
         ─< Voter (the electorate, frozen when the poll opens: one row per household or
                   adult resident)  ─── Ballot (one per voter: unique) ─< BallotChoice
    Topic (议题) ─< Resolution (决议) ─< ResolutionProgress, FollowUp (回访)
    Meeting (议事会 …) ─< MeetingPerson (invited, attended)
    Survey ─< Question ─< Option;  Survey ─< SurveyToken;  Survey ─< Response ─< Answer
    SuggestionCall ─< Suggestion (with the staff's public reply)
    BoardEntry (红榜 / 黑榜)

Every row stores `org_code` (the unit it belongs to), so a staff read is one range filter.
Ballots, their choices and the frozen electorate are append-only: the models refuse
save() of an existing row, delete() and queryset update()/delete(); they are not in the
admin; and database triggers (migration 0002) refuse UPDATE and DELETE on PostgreSQL and
UPDATE on SQLite (see points' migration 0002 for why not DELETE there)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import OrgCodeField
from gongzhi.core.models import AppendOnly as CoreAppendOnly

APPEND_ONLY = "Ballots and the frozen electorate are append-only."


class AppendOnly(CoreAppendOnly):
    append_only_message = APPEND_ONLY

    class Meta:
        abstract = True


class Sealed(models.Model):
    """A phone kept as everywhere: encrypted, keyed hash, masked (registry.pii)."""

    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)

    class Meta:
        abstract = True


class CommunityRules(models.Model):
    """What a community decides for itself."""

    org_code = OrgCodeField(_("community code"), unique=True)
    heads_per_building = models.PositiveSmallIntegerField(
        _("building heads per building"), default=1
    )

    class Meta:
        verbose_name = _("community rules")
        verbose_name_plural = _("community rules")

    def __str__(self):
        return self.org_code


# -- polls and elections ---------------------------------------------------------------


class PollKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    ELECTION = "election", _("Election")


class Electorate(models.TextChoices):
    HOUSEHOLDS = "households", _("One vote per household")
    ADULTS = "adults", _("Every adult resident")


class PollState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed, results published")


class Channel(models.TextChoices):
    WEB = "web", _("Online (WeChat)")
    PAPER = "paper", _("Paper ballot")
    HANDS = "hands", _("Show of hands")


class Poll(models.Model):
    # The area of the electorate: a building, or an org unit (a compound's grid, a
    # community). org_code is the area's code (the building's grid for a building).
    org_code = OrgCodeField(_("org code"), db_index=True)
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PollKind.choices)
    electorate = models.CharField(_("electorate"), max_length=12, choices=Electorate.choices)
    # An election's position (registry.BuildingRole.Role) and its seats.
    role = models.CharField(_("position"), max_length=16, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    max_choices = models.PositiveSmallIntegerField(_("choices per ballot"), default=1)
    state = models.CharField(_("state"), max_length=8, choices=PollState.choices, default="draft")
    closes_at = models.DateTimeField(_("closes at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    electorate_size = models.PositiveIntegerField(_("eligible voters"), default=0)
    # Written once at close from the ballots (services.poll_count re-runs it any time).
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=100)
    candidate = models.ForeignKey(
        "registry.Resident",
        verbose_name=_("candidate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "id"]

    def __str__(self):
        return self.label


class Voter(AppendOnly):
    """One eligible voter of a poll, frozen when it opens: a household or a resident."""

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="voters")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=120)  # 3号楼1单元301室 / the resident's name

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "household"], name="decide_voter_household"),
            models.UniqueConstraint(fields=["poll", "resident"], name="decide_voter_resident"),
        ]

    def __str__(self):
        return self.label


class Ballot(AppendOnly):
    """One ballot of one eligible voter, whatever the channel: unique per (poll, voter)."""

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(Voter, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    phone_hash = models.CharField(max_length=64, blank=True)  # the web voter's phone
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cast_at = models.DateTimeField(_("cast at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter"], name="decide_one_ballot_per_voter")
        ]

    def __str__(self):
        return f"{self.poll_id}:{self.voter_id}"


class BallotChoice(AppendOnly):
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="choices")
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(PollOption, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "option"], name="decide_choice_once")
        ]
        indexes = [models.Index(fields=["poll", "option"], name="decide_choice_count")]

    def __str__(self):
        return f"{self.ballot_id}:{self.option_id}"


# -- deliberation ------------------------------------------------------------------------


class RaisedBy(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    BUILDING_HEAD = "head", _("Building head")
    STAFF = "staff", _("Staff")


class TopicState(models.TextChoices):
    OPEN = "open", _("Raised")
    DISCUSSED = "discussed", _("Discussed")
    RESOLVED = "resolved", _("Resolved")
    DROPPED = "dropped", _("Dropped")


class Topic(Sealed):
    """议题: a question raised for a building, a compound or a community."""

    org_code = OrgCodeField(_("org code"), db_index=True)
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    raised_by_kind = models.CharField(_("raised by"), max_length=10, choices=RaisedBy.choices)
    raiser_name = models.CharField(_("raised by (name)"), max_length=50, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=TopicState.choices, default="open")
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_code", "state"], name="decide_topic_code_state"),
            # The board: the latest topics first, filtered by area as the index is read.
            models.Index(fields=["-created_at", "-id"], name="decide_topic_latest"),
        ]

    def __str__(self):
        return self.title


class MeetingKind(models.TextChoices):
    COUNCIL = "council", _("Deliberation council")  # 议事会
    COORDINATION = "coordination", _("Coordination meeting")  # 协调会
    HEARING = "hearing", _("Heart-to-heart talk")  # 恳谈会
    COURTYARD = "courtyard", _("Courtyard meeting")  # 坝坝会


class Meeting(models.Model):
    org_code = OrgCodeField(_("org code"), db_index=True)
    kind = models.CharField(_("kind"), max_length=14, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("time"))
    # Where: a room of the community booked for it (sharing's one booking service) or a
    # place given as text (a courtyard, 坝坝会); `place` is the label either way.
    place = models.CharField(_("place"), max_length=100)
    booking = models.ForeignKey(
        "sharing.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="meetings")
    minutes = models.TextField(_("minutes"), blank=True)
    held = models.BooleanField(_("held"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]

    def __str__(self):
        return self.title


class MeetingPerson(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="people")
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    invited = models.BooleanField(_("invited"), default=False)
    attended = models.BooleanField(_("attended"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "resident"], name="decide_meeting_person")
        ]

    def __str__(self):
        return self.name


class ResolutionState(models.TextChoices):
    OPEN = "open", _("In progress")
    DONE = "done", _("Done")


class Resolution(models.Model):
    """决议: what a meeting decided about a topic, its owner, deadline and progress."""

    org_code = OrgCodeField(_("org code"), db_index=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="resolutions")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="resolutions"
    )
    text = models.TextField(_("resolution"))
    owner = models.CharField(_("owner"), max_length=50)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=6, choices=ResolutionState.choices, default="open"
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # The progress entry that declared it done: required by the constraint below.
    done_entry = models.OneToOneField(
        "decide.ResolutionProgress",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done")
                | (Q(done_entry__isnull=False) & Q(done_at__isnull=False)),
                name="decide_resolution_done_with_entry",
            )
        ]
        indexes = [
            models.Index(fields=["org_code", "state", "done_at"], name="decide_res_code_state")
        ]

    def __str__(self):
        return self.text[:50]


class ResolutionProgress(AppendOnly):
    resolution = models.ForeignKey(Resolution, on_delete=models.PROTECT, related_name="entries")
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.CharField(_("note"), max_length=500)
    done = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.percent}% {self.note[:30]}"


class FollowUp(models.Model):
    """回访: the raisers asked whether the resolution solved it."""

    resolution = models.ForeignKey(Resolution, on_delete=models.PROTECT, related_name="followups")
    person = models.CharField(_("asked"), max_length=50)
    satisfied = models.BooleanField(_("satisfied"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.person


# -- surveys -----------------------------------------------------------------------------


class SurveyMode(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous (one answer per token)")
    VERIFIED = "verified", _("Verified phone (one answer per phone)")


class Survey(models.Model):
    org_code = OrgCodeField(_("org code"), db_index=True)
    title = models.CharField(_("title"), max_length=100)
    intro = models.TextField(_("introduction"), blank=True)
    mode = models.CharField(_("answering"), max_length=10, choices=SurveyMode.choices)
    is_open = models.BooleanField(_("open"), default=True)
    public_results = models.BooleanField(_("results public"), default=False)
    # The single-choice question whose options marked `satisfied` make 满意率.
    satisfaction_question = models.ForeignKey(
        "decide.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    RATING = "rating", _("Rating 1–5")
    TEXT = "text", _("Text")
    MATRIX = "matrix", _("Matrix")


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    sort = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    rows = models.JSONField(default=list, blank=True)  # a matrix's rows (its columns: options)
    # Shown only when this option of an earlier question was chosen.
    show_if = models.ForeignKey(
        "decide.Option", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sort", "id"]

    def __str__(self):
        return self.text


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=100)
    sort = models.PositiveSmallIntegerField(default=0)
    satisfied = models.BooleanField(default=False)  # counts as satisfied (满意, 基本满意)

    class Meta:
        ordering = ["sort", "id"]

    def __str__(self):
        return self.label


class SurveyToken(models.Model):
    """An anonymous survey's one-time token (its SHA-256), printed or sent as a link."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)

    def __str__(self):
        return self.token_hash[:8]


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    # "t:<token hash>" or "p:<phone hash>": one response each.
    respondent = models.CharField(max_length=70)
    # The client's id of the submission: the same submission retried is stored once.
    submission_id = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent"], name="decide_one_response"),
            models.UniqueConstraint(
                fields=["survey", "submission_id"], name="decide_submission_once"
            ),
        ]

    def __str__(self):
        return self.submission_id


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(
        Option, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    row = models.PositiveSmallIntegerField(null=True, blank=True)  # a matrix's row
    value = models.PositiveSmallIntegerField(null=True, blank=True)  # a rating
    text = models.CharField(max_length=1000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "option", "row"], name="decide_answer_count")]

    def __str__(self):
        return f"{self.question_id}:{self.option_id or self.value or self.text[:20]}"


# -- suggestion box ----------------------------------------------------------------------


class SuggestionCall(models.Model):
    org_code = OrgCodeField(_("org code"), db_index=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    deadline = models.DateField(_("deadline"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call for suggestions")
        verbose_name_plural = _("calls for suggestions")
        ordering = ["-deadline", "-id"]

    def __str__(self):
        return self.title


class SuggestionChannel(models.TextChoices):
    WEB = "web", _("Online")
    HOTLINE = "hotline", _("Hotline")
    PAPER = "paper", _("Paper")


class Suggestion(Sealed):
    call = models.ForeignKey(SuggestionCall, on_delete=models.PROTECT, related_name="suggestions")
    channel = models.CharField(_("channel"), max_length=8, choices=SuggestionChannel.choices)
    text = models.TextField(_("suggestion"))
    name = models.CharField(_("name"), max_length=50, blank=True)  # always known to staff
    public_name = models.BooleanField(_("name shown publicly"), default=False)
    submission_id = models.CharField(max_length=64)
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "submission_id"], name="decide_suggestion_once")
        ]

    def __str__(self):
        return self.text[:50]


# -- red/black board ---------------------------------------------------------------------


class BoardColor(models.TextChoices):
    RED = "red", _("Red board (praise)")
    BLACK = "black", _("Black board (exposure)")


class BoardState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn on appeal")


class BoardEntry(models.Model):
    org_code = OrgCodeField(_("community code"), db_index=True)
    color = models.CharField(_("board"), max_length=5, choices=BoardColor.choices)
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("what happened"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    basis = models.CharField(_("basis"), max_length=200)  # a case number, a photo, a record
    basis_case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Names a person, shows an ID or a face: a black entry needs recorded consent then.
    identifies_person = models.BooleanField(_("identifies a person"), default=False)
    consent = models.CharField(_("consent recorded"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=BoardState.choices, default="proposed"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    publish_from = models.DateField(_("published from"), null=True, blank=True)
    publish_until = models.DateField(_("published until"), null=True, blank=True)
    appeal = models.TextField(_("appeal"), blank=True)
    appeal_decision = models.CharField(_("appeal decision"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("board entry")
        verbose_name_plural = _("board entries")
        ordering = ["-publish_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(color="black") & Q(identifies_person=True) & Q(consent="")),
                name="decide_black_entry_needs_consent",
            ),
            models.CheckConstraint(
                condition=~Q(state="published")
                | (
                    Q(approved_by__isnull=False)
                    & Q(publish_from__isnull=False)
                    & Q(publish_until__isnull=False)
                ),
                name="decide_published_entry_approved",
            ),
        ]

    def __str__(self):
        return self.title


# -- notices and outreach ----------------------------------------------------------------


class Notice(models.Model):
    """通知公告 to an area (a unit, or one building), shown in /my/, optionally by SMS."""

    org_code = OrgCodeField(_("org code"), db_index=True)
    building = models.ForeignKey(
        "registry.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    sms = models.BooleanField(_("also by SMS"), default=False)
    sms_sent = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return self.title


class NoticeRead(models.Model):
    """One verified phone opened the notice: the read count is the count of these rows."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    phone_hash = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "phone_hash"], name="decide_notice_read_once")
        ]

    def __str__(self):
        return f"{self.notice_id}"


class OutreachKind(models.TextChoices):
    SESSION = "session", _("Policy session")  # 政策宣讲
    DOOR = "door", _("Door-to-door explanation")  # 入户讲解
    LEGAL = "legal", _("Legal education")  # 法治宣传


class Outreach(models.Model):
    """A policy session or a door-to-door explanation, with its attendance (人次)."""

    org_code = OrgCodeField(_("org code"), db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=OutreachKind.choices)
    topic = models.CharField(_("topic"), max_length=100)  # 医保政策, 独生子女认证 …
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    attendance = models.PositiveIntegerField(_("attendance"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("outreach")
        verbose_name_plural = _("outreach")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return self.topic
