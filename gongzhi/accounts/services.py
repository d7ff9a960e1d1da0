"""Writes for users, logins, positions and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import ApiToken, Position, User, position_errors
from gongzhi.core import permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.core.roles import DEPARTMENT_ROLES, Perm
from gongzhi.orgs.models import Department, OrgUnit

TOKEN_PREFIX = "gz_"
LAST_USED_EVERY = timedelta(minutes=1)  # how often a token's last_used_at is written


class LoginFailed(DomainError):
    code = "invalid_credentials"
    status = 401


# A real hash to check against for unknown usernames, so timing does not tell
# which usernames exist.
_DUMMY_HASH = None


def _dummy_check(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("not-a-real-password")
    check_password(password, _DUMMY_HASH)


def _refused() -> LoginFailed:
    """The one answer to a failed login: an unknown username, a wrong password and a
    locked account read the same, so none of them tells that the account exists."""
    return LoginFailed(
        _(
            "Wrong username or password. After %(n)d wrong attempts in a row an account is "
            "locked for %(minutes)d minutes; an administrator can unlock it sooner."
        )
        % {"n": settings.LOGIN_MAX_FAILURES, "minutes": settings.LOGIN_LOCKOUT_MINUTES}
    )


def login_authenticate(*, username: str, password: str) -> User:
    """The user these credentials open, or LoginFailed.

    A wrong password counts a failure; LOGIN_MAX_FAILURES in a row lock the account
    for LOGIN_LOCKOUT_MINUTES. A locked account refuses even the right password.
    An unknown username writes nothing. Unknown, wrong and locked get the same message
    and status, and each costs one password hash, so neither the answer nor its time
    tells whether the username exists (or is locked).
    """
    username = (username or "").strip()
    now = timezone.now()
    user = User.objects.filter(username=username).first() if username else None
    if user is None:
        _dummy_check(password or "")
        raise _refused()
    if user.is_locked(now):
        check_password(password or "", user.password)  # the time of any other attempt
        raise _refused()
    if user.check_password(password or "") and user.is_active:
        if user.failed_logins or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            user.failed_logins, user.locked_until = 0, None
        audit_record(actor=user, action="accounts.login", obj=user)
        return user
    if not user.is_active and user.check_password(password or ""):
        raise LoginFailed(
            _("This account is disabled. Ask an administrator."), code="account_disabled"
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # A lock that has run out starts a fresh count.
        failures = 1 if locked.locked_until else locked.failed_logins + 1
        locked.failed_logins = failures
        locked.locked_until = None
        if failures >= settings.LOGIN_MAX_FAILURES:
            locked.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        locked.save(update_fields=["failed_logins", "locked_until"])
        audit_record(
            actor=None, action="accounts.login_failed", obj=locked, changes={"failures": failures}
        )
        if locked.locked_until:
            audit_record(
                actor=None,
                action="accounts.locked",
                obj=locked,
                changes={"locked_until": locked.locked_until.isoformat()},
            )
    raise _refused()


def user_unlock(*, actor, user: User) -> User:
    if not permissions.can(actor, Perm.STAFF_MANAGE):
        raise PermissionDenied(_("You may not unlock accounts."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        audit_record(actor=actor, action="accounts.unlocked", obj=user)
    user.refresh_from_db()
    return user


def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Change one's own password; the old one must be right and the new one strong."""
    if not user.check_password(old_password or ""):
        raise DomainError(_("The current password is wrong."), code="wrong_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(
            " ".join(exc.messages), code="weak_password", details=exc.messages
        ) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(actor=user, action="accounts.password_changed", obj=user)
    return user


def user_create(*, actor, username: str, name: str, password: str | None = None) -> User:
    if not permissions.can(actor, Perm.STAFF_MANAGE):
        raise PermissionDenied(_("You may not create users."))
    username = (username or "").strip()
    if not username:
        raise DomainError(_("The username is required."), code="invalid")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(
                _("The username “%(u)s” is taken.") % {"u": username}, code="duplicate_username"
            )
        user = User(username=username, name=(name or "").strip())
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise DomainError(" ".join(exc.messages), code="weak_password") from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_record(
            actor=actor, action="accounts.user_created", obj=user, changes={"username": username}
        )
    return user


def position_create(
    *,
    actor,
    user: User,
    role: str,
    org_unit_id: int | None = None,
    department_id: int | None = None,
    title: str = "",
) -> Position:
    """Give `user` a role at an org unit or a department within the actor's area."""
    org_unit = department = None
    if org_unit_id is not None:
        org_unit = OrgUnit.objects.filter(pk=org_unit_id).first()
        if org_unit is None or not permissions.can(actor, Perm.STAFF_MANAGE, org_unit):
            raise NotFound(_("The unit does not exist or is outside your area."))
    if department_id is not None:
        department = Department.objects.select_related("district").filter(pk=department_id).first()
        if department is None or not permissions.can(actor, Perm.STAFF_MANAGE, department.district):
            raise NotFound(_("The department does not exist or is outside your area."))
    if org_unit is None and department is None and not permissions.can(actor, Perm.STAFF_MANAGE):
        raise PermissionDenied(_("You may not assign positions."))
    errors = position_errors(role, org_unit, department)
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, code="invalid_position", details=errors)
    with transaction.atomic():
        clash = Position.objects.filter(user=user, role=role, is_active=True)
        clash = (
            clash.filter(department=department)
            if role in DEPARTMENT_ROLES
            else clash.filter(org_unit=org_unit)
        )
        if clash.exists():
            raise Conflict(_("This person already holds this position."), code="duplicate_position")
        position = Position.objects.create(
            user=user,
            role=role,
            org_unit=org_unit,
            department=department,
            org_code=org_unit.code if org_unit else "",
            title=(title or "").strip()[:50],
        )
        audit_record(
            actor=actor,
            action="accounts.position_created",
            obj=position,
            changes={"user": user.username, "role": role, "at": str(org_unit or department)},
        )
    user.forget_positions()
    return position


def position_end(*, actor, position: Position) -> Position:
    target = position.org_unit or (position.department.district if position.department else None)
    if not permissions.can(actor, Perm.STAFF_MANAGE, target):
        raise NotFound(_("The position does not exist or is outside your area."))
    with transaction.atomic():
        Position.objects.filter(pk=position.pk).update(is_active=False, updated_at=timezone.now())
        audit_record(actor=actor, action="accounts.position_ended", obj=position)
    position.refresh_from_db()
    return position


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw token is returned here and never stored."""
    if actor is not None and not permissions.can(actor, Perm.STAFF_MANAGE):
        raise PermissionDenied(_("You may not create API tokens."))
    name = (name or "").strip() or "API"
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=raw[:10], key_hash=_hash_token(raw)
        )
        audit_record(
            actor=actor, action="accounts.token_created", obj=token, changes={"user": user.username}
        )
    return token, raw


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if actor is not None and not permissions.can(actor, Perm.STAFF_MANAGE) and actor != token.user:
        raise PermissionDenied(_("You may not revoke this token."))
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.revoked_at)
            audit_record(actor=actor, action="accounts.token_revoked", obj=token)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a live token belongs to, or None. Marks last use at most once a minute."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    stale = now - LAST_USED_EVERY
    if token.last_used_at is None or token.last_used_at < stale:
        # A write at most once a minute a token, not on every request (each write takes
        # SQLite's lock); the condition makes requests racing past the check above write
        # it once between them.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
    return token.user
