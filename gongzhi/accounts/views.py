from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import selectors, services
from gongzhi.accounts.forms import LoginForm, PasswordChangeForm
from gongzhi.core.errors import DomainError
from gongzhi.core.roles import Role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def account(request):
    positions = request.user.positions.filter(is_active=True).select_related(
        "org_unit", "department"
    )
    return render(request, "accounts/account.html", {"positions": positions})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as exc:
            field = "old_password" if exc.code == "wrong_password" else "new_password1"
            form.add_error(field, exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("account")
    return render(request, "accounts/password_change.html", {"form": form})


def unit_people_panel(user, unit) -> dict:
    """The org unit page's panel of people in positions there (registered in apps.py), and
    its grid workers among the unit's figures."""
    grid_workers = selectors.position_counts_by_role(unit).get(Role.GRID_WORKER, 0)
    return {
        "figures": [(grid_workers, _("Grid workers"))],
        "positions": selectors.positions_visible_to(user)
        .filter(org_code=unit.code)
        .order_by("role", "id"),
    }
