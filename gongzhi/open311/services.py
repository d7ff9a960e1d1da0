"""Open311 writes: a client's POST becomes a case (channel open311) through the case
loop's own intake, cases.services.case_report, plus the Open311Request holding what a
case has no place for.

Decisions (docs/integrations.md):
- `api_key` is one of our API tokens (accounts.ApiToken); its user must be allowed to
  report cases where the problem is. The case is entered by that user.
- GeoReport allows a 4,000-character description; a case holds 2,000. A longer text is
  cut on the case (ending in "…") and kept whole on the Open311Request, which the
  Open311 replies read. More than 4,000 characters is refused.
- A location is `lat`+`long`, or `address_id` (one of our buildings), or an
  `address_string` that names exactly one building in the client's area; an address we
  cannot place is refused rather than guessed.
- Requests are created at once: the reply carries the `service_request_id` (the case
  number) and also a `token`, which `GET tokens/{token}` answers for later.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db.models import Q
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from gongzhi.accounts.services import api_token_authenticate
from gongzhi.cases import services as case_services
from gongzhi.cases.models import Category, Channel
from gongzhi.core import dates, permissions
from gongzhi.core.errors import Invalid, NotFound, PermissionDenied
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.core.roles import Perm
from gongzhi.open311.models import Datatype, Open311Request, ServiceAttribute
from gongzhi.registry.models import Building

MAX_DESCRIPTION = 4000
CASE_DESCRIPTION = case_services.MAX_DESCRIPTION
MAX_ATTRIBUTE_TEXT = {Datatype.STRING: 200, Datatype.TEXT: 2000}

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,50})\](?:\[\])?$")


def client_for(api_key: str | None):
    """The user an Open311 api_key stands for; PermissionDenied (403) when it is missing,
    unknown, revoked, or its user may not report cases."""
    user = api_token_authenticate((api_key or "").strip())
    if user is None:
        raise PermissionDenied(_("The api_key is missing or invalid."))
    if not permissions.can(user, Perm.CASE_REPORT):
        raise PermissionDenied(_("This api_key may not submit service requests."))
    return user


def public_service(code: str | None) -> Category | None:
    """The public, active category with this service_code, or None."""
    code = (code or "").strip()
    if not code:
        return None
    return (
        Category.objects.select_related("parent")
        .filter(code=code, is_public=True, is_active=True, parent__isnull=False)
        .filter(parent__is_active=True)
        .first()
    )


def _attributes(data, category: Category) -> dict:
    """The values of the service's questions from `attribute[code]` (and, for several
    values, repeated `attribute[code][]`) fields, checked against their datatypes.
    Codes the service does not ask are ignored."""
    sent: dict[str, list[str]] = {}
    for key, values in data.lists():
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            sent.setdefault(match.group(1), []).extend(v.strip() for v in values if v.strip())
    errors: dict[str, list[str]] = {}
    kept: dict = {}
    for attr in ServiceAttribute.objects.filter(category=category, variable=True):
        values = sent.get(attr.code, [])
        name = f"attribute[{attr.code}]"
        if not values:
            if attr.required:
                errors.setdefault(name, []).append(_("This field is required."))
            continue
        if attr.datatype == Datatype.MULTIVALUELIST:
            if not set(values) <= attr.value_keys():
                errors.setdefault(name, []).append(_("Choose from the listed values."))
            kept[attr.code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            errors.setdefault(name, []).append(_("Give one value."))
            continue
        value = values[0]
        if attr.datatype == Datatype.SINGLEVALUELIST and value not in attr.value_keys():
            errors.setdefault(name, []).append(_("Choose from the listed values."))
        elif attr.datatype == Datatype.NUMBER:
            try:
                float(value)
            except ValueError:
                errors.setdefault(name, []).append(_("Enter a number."))
        elif attr.datatype == Datatype.DATETIME and not _moment(value, name):
            errors.setdefault(name, []).append(_("Enter a date and time in ISO 8601."))
        elif len(value) > MAX_ATTRIBUTE_TEXT.get(attr.datatype, 200):
            errors.setdefault(name, []).append(
                _("At most %(n)d characters.") % {"n": MAX_ATTRIBUTE_TEXT.get(attr.datatype, 200)}
            )
        kept[attr.code] = value
    if errors:
        raise Invalid(next(iter(errors.values()))[0], details=errors)
    return kept


def _moment(value: str, name: str) -> bool:
    try:
        return dates.parse_moment(value, name) is not None
    except Invalid:
        return False


def _building_named(user, address: str) -> int:
    """The one building in the client's area whose address or name is `address`."""
    scope = permissions.scope_for(user, Perm.CASE_REPORT)
    ids = list(
        Building.objects.filter(scope.q())
        .filter(Q(address=address) | Q(name=address))
        .values_list("pk", flat=True)[:2]
    )
    if len(ids) != 1:
        message = _(
            "The address_string names no single known place; send lat and long, or an address_id."
        )
        raise Invalid(message, details={"address_string": [message]})
    return ids[0]


def _short(value, limit: int, name: str, errors: dict) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    return value


def _reporter_name(first: str, last: str) -> str:
    """Chinese names are written family name first (张 + 三), western ones first name first."""
    if not (first and last):
        return first or last
    if (first + last).isascii():
        return f"{first} {last}"
    return f"{last}{first}"


@dataclass(frozen=True)
class Created:
    request: Open311Request
    service_notice: str
    created: bool = True  # False: the request a resent Idempotency-Key made before


def open311_request_create(*, api_key, data, idempotency_key: str | None = None) -> Created:
    """A service request from an Open311 client's form `data` (a QueryDict). Nothing is
    written unless all of it is valid: the case and its Open311Request commit together.

    With an `idempotency_key` (the Idempotency-Key header), a resent request answers with
    the request the first one made (`created` False), and the key with a different form
    is refused (IdempotencyConflict, 422), as on the API."""
    user = client_for(api_key)
    key = case_services.clean_idempotency_key(idempotency_key)
    fingerprint = None
    if key:
        # The whole form but the credentials, so a change in any field is a new request.
        fields = {
            name: values if len(values) > 1 else values[0]
            for name, values in data.lists()
            if name not in ("api_key", "jurisdiction_id")
        }
        fingerprint = case_services.request_fingerprint({"open311": fields})
    category = public_service(data.get("service_code"))
    if category is None:
        message = _("Not a service we offer.")
        raise Invalid(message, code="unknown_service", details={"service_code": [message]})
    errors: dict[str, list[str]] = {}
    description = _short(data.get("description"), MAX_DESCRIPTION, "description", errors)
    email = _short(data.get("email"), 254, "email", errors)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid email address."))
    media_url = _short(data.get("media_url"), 500, "media_url", errors)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.setdefault("media_url", []).append(_("Enter a valid http or https URL."))
    device_id = _short(data.get("device_id"), 100, "device_id", errors)
    account_id = _short(data.get("account_id"), 100, "account_id", errors)
    first_name = _short(data.get("first_name"), 50, "first_name", errors)
    last_name = _short(data.get("last_name"), 50, "last_name", errors)
    if errors:
        raise Invalid(next(iter(errors.values()))[0], details=errors)
    attributes = _attributes(data, category)

    lat, lng = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address = (data.get("address_string") or "").strip()
    address_id = (data.get("address_id") or "").strip()
    building_id = None
    if lat or lng:
        if not (lat and lng):
            message = _("Send both lat and long.")
            raise Invalid(message, details={"location": [message]})
    elif address_id:
        building_id = address_id
    elif address:
        building_id = _building_named(user, address)
    else:
        message = _("Send lat and long, an address_string or an address_id.")
        raise Invalid(message, details={"location": [message]})

    case_text = description
    if len(case_text) > CASE_DESCRIPTION:
        case_text = case_text[: CASE_DESCRIPTION - 1] + "…"
    if not case_text:
        # A case needs some words; a bare report says what and where.
        case_text = category.name

    def open311_request(case) -> Open311Request:
        return Open311Request.objects.create(
            case=case,
            token=get_random_string(32),
            attributes=attributes,
            description=mask_personal_text(description),  # as the case's (cases.text)
            email=email,
            device_id=device_id,
            account_id=account_id,
            first_name=first_name,
            last_name=last_name,
            media_url=media_url,
        )

    case, created = case_services.case_report(
        actor=user,
        via=Channel.OPEN311,
        category_id=category.pk,
        description=case_text,
        lng=lng or None,
        lat=lat or None,
        building_id=building_id,
        address=address,
        reporter_name=_reporter_name(first_name, last_name),
        reporter_phone=data.get("phone") or "",
        idempotency_key=key,
        fingerprint=fingerprint,
        also=open311_request,
    )
    request = Open311Request.objects.filter(case=case).first()
    if request is None:
        # The key was first used by this account elsewhere (the API): not this request.
        raise case_services.IdempotencyConflict()
    notice = _("Received as case %(number)s; the handling deadline is set when it is registered.")
    return Created(request, notice % {"number": case.number}, created)


def request_by_token(token: str) -> Open311Request:
    token = (token or "").strip()
    request = (
        Open311Request.objects.select_related("case").filter(token=token).first() if token else None
    )
    if request is None:
        raise NotFound(_("No service request has this token."))
    return request
