"""Staff pages that set sharing up (sharing.manage): a new room and its edit form (rules,
opening hours, closing it), a new tool hut and its edit form (keepers, hours, the loan
rules of its categories), a hut's new item and an item's edit form (photo, retiring it),
and an item's photo. Each page reads through sharing.selectors (404 outside the area, 403
where the user only sees the place) and writes through one service; a refusal shows the
form again with the input and each field's message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.http.forms import parse_id
from gongzhi.core.permissions import can
from gongzhi.sharing import perms, selectors, services
from gongzhi.sharing.models import Condition
from gongzhi.sharing.services.places import (
    CATEGORY_FIELDS,
    HUT_FIELDS,
    ITEM_FIELDS,
    ROOM_FIELDS,
)

WEEKDAYS = [
    ("0", gettext_lazy("Mon")),
    ("1", gettext_lazy("Tue")),
    ("2", gettext_lazy("Wed")),
    ("3", gettext_lazy("Thu")),
    ("4", gettext_lazy("Fri")),
    ("5", gettext_lazy("Sat")),
    ("6", gettext_lazy("Sun")),
]


def _units(user):
    """The communities the user may open a place in; none: 403, or 404 to an outsider."""
    units = list(selectors.communities_managed(user).order_by("code")[:200])
    if not units:
        if can(user, perms.VIEW):
            raise PermissionDenied(_("You may not do this."))
        raise NotFound(_("Not found."))
    return units


def _posted(request, fields) -> dict:
    data = {f: request.POST.get(f, "").strip() for f in fields}
    if "weekdays" in fields:
        data["weekdays"] = "".join(request.POST.getlist("weekdays"))
    return data


def _shown(obj, fields) -> dict:
    """A stored place as the form shows it (times as HH:MM, the category by id)."""
    data = {}
    for f in fields:
        value = getattr(obj, f, "")
        if hasattr(value, "strftime"):
            value = value.strftime("%H:%M")
        data[f] = value
    return data


def _form(request, template, context, call, done):
    """POST: `call(data)`; done → a message and `done(result)` (a redirect); refused → the
    form again with the input kept and each field's message, with the refusal's status."""
    status, errors = 200, {}
    if request.method == "POST":
        try:
            result = call(context["data"])
        except DomainError as exc:
            errors = exc.details if isinstance(exc.details, dict) else {}
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Saved."))
            return done(result)
    context.update(errors=errors, weekday_choices=WEEKDAYS, tab=context.get("tab", "overview"))
    context.setdefault("hut_id", None)
    context["huts_nav"] = list(selectors.huts_visible(request.user).order_by("pk")[:20])
    return render(request, template, context, status=status)


NEW_ROOM = {
    "capacity": 20,
    "opens_at": "08:30",
    "closes_at": "21:00",
    "weekdays": "0123456",
    "closed_on_holidays": True,
    "residents_may_book": True,
    "teams_may_book": True,
    "partners_may_book": True,
    "max_days_ahead": 30,
    "min_minutes": 30,
    "max_minutes": 240,
    "buffer_minutes": 0,
    "no_show_points": 0,
}


def _new_place(request, fields, defaults, create, template, context, done):
    """A new room or hut: in one of the communities of the user's area."""
    units = _units(request.user)
    if request.method == "POST":
        data = {**_posted(request, fields), "org_unit": request.POST.get("org_unit", "")}
    else:
        data = {**defaults, "org_unit": units[0].pk}

    def call(data):
        fields = {k: v for k, v in data.items() if k != "org_unit"}
        return create(actor=request.user, org_unit_id=data["org_unit"], **fields)

    context.update(data=data, units=units)
    return _form(request, template, context, call, done)


@login_required
@require_http_methods(["GET", "POST"])
def room_new(request):
    return _new_place(
        request,
        [f for f in ROOM_FIELDS if f != "is_active"],  # a new room is open
        NEW_ROOM,
        services.room_create,
        "sharing/room_form.html",
        {"room": None},
        lambda room: redirect("sharing_room", room_id=room.pk),
    )


@login_required
@require_http_methods(["GET", "POST"])
def room_edit(request, room_id):
    room = selectors.room_to_manage(request.user, room_id)
    data = _posted(request, ROOM_FIELDS) if request.method == "POST" else _shown(room, ROOM_FIELDS)

    def call(data):
        return services.room_update(actor=request.user, room_id=room.pk, **data)

    def done(room):
        return redirect("sharing_room", room_id=room.pk) if room.is_active else redirect("sharing")

    return _form(request, "sharing/room_form.html", {"data": data, "room": room}, call, done)


NEW_HUT = {"opens_at": "09:00", "closes_at": "18:00", "weekdays": "0123456", "hold_days": 2}


@login_required
@require_http_methods(["GET", "POST"])
def hut_new(request):
    return _new_place(
        request,
        HUT_FIELDS,
        {**NEW_HUT, "closed_on_holidays": True},
        services.hut_create,
        "sharing/hut_form.html",
        {"hut": None, "tab": "huts"},
        lambda hut: redirect("sharing_hut_edit", hut_id=hut.pk),
    )


NEW_CATEGORY = {"loan_days": 7, "renewals": 1, "max_at_once": 2, "deposit_yuan": 0}


@login_required
@require_http_methods(["GET", "POST"])
def hut_edit(request, hut_id):
    """The hut's name, place, keepers and hours; the loan rules of its categories (one
    form each, and one for a new category)."""
    hut = selectors.hut_to_manage(request.user, hut_id)
    form = request.POST.get("form", "hut") if request.method == "POST" else ""
    categories = list(hut.categories.order_by("name"))
    data = _shown(hut, [f for f in HUT_FIELDS if f != "keepers"])
    data["keepers"] = " ".join(hut.keepers.order_by("username").values_list("username", flat=True))
    new_category = {**NEW_CATEGORY, "late_points": 0}
    editing = parse_id(request.POST.get("category_id"))
    if editing and editing not in {c.pk for c in categories}:
        raise NotFound(_("Not found."))
    user = request.user
    if form == "hut":
        data = _posted(request, HUT_FIELDS)

        def call(data):
            return services.hut_update(actor=user, hut_id=hut.pk, **data)

    elif form == "category":
        posted = _posted(request, CATEGORY_FIELDS)
        for c in categories:
            if c.pk == editing:
                c.data = posted
        if not editing:
            new_category = posted

        def call(data):
            if editing:
                return services.category_update(actor=user, category_id=editing, **posted)
            return services.category_create(actor=user, hut_id=hut.pk, **posted)

    elif form:
        raise NotFound(_("Not found."))
    else:
        call = None
    for c in categories:
        if not hasattr(c, "data"):
            c.data = _shown(c, CATEGORY_FIELDS)
    return _form(
        request,
        "sharing/hut_form.html",
        {
            "data": data,
            "hut": hut,
            "hut_id": hut.pk,
            "tab": "huts",
            "form_name": form,
            "editing": editing,
            "categories": categories,
            "new_category": new_category,
        },
        call,
        lambda _result: redirect("sharing_hut_edit", hut_id=hut.pk),
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_new(request, hut_id):
    hut = selectors.hut_to_manage(request.user, hut_id)
    if request.method == "POST":
        data = _posted(request, ITEM_FIELDS)
    else:
        data = {"condition": Condition.GOOD, "category": parse_id(request.GET.get("category"))}

    def call(data):
        photo = request.FILES.get("photo")
        return services.item_create(actor=request.user, hut_id=hut.pk, photo=photo, **data)

    return _item_page(request, hut, None, data, call)


def _item_page(request, hut, item, data, call):
    context = {"data": data, "hut": hut, "hut_id": hut.pk, "item": item, "tab": "huts"}
    context["categories"] = list(hut.categories.order_by("name"))
    context["conditions"] = Condition.choices

    def done(_item):
        return redirect("sharing_hut", hut_id=hut.pk)

    return _form(request, "sharing/item_form.html", context, call, done)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, item_id):
    item = selectors.item_to_manage(request.user, item_id)
    hut = item.hut
    if request.method == "POST" and request.POST.get("form") == "retire":
        data = {**_shown(item, ITEM_FIELDS), "category": item.category_id}

        def call(data):
            reason = request.POST.get("reason", "")
            return services.item_retire(actor=request.user, item_id=item.pk, reason=reason)

    else:
        data = (
            _posted(request, ITEM_FIELDS)
            if request.method == "POST"
            else {**_shown(item, ITEM_FIELDS), "category": item.category_id}
        )

        def call(data):
            photo = request.FILES.get("photo")
            return services.item_update(actor=request.user, item_id=item.pk, photo=photo, **data)

    return _item_page(request, hut, item, data, call)


@login_required
@require_GET
def item_photo(request, item_id):
    """An item's photo, to whoever sees its hut."""
    item = selectors.catalogue_item(request.user, item_id)
    if not item.photo:
        raise NotFound(_("Not found."))
    kind = "image/png" if item.photo.name.endswith(".png") else "image/jpeg"
    return FileResponse(item.photo.open("rb"), content_type=kind)
