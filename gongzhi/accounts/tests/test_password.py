import pytest

from gongzhi.accounts.services import user_password_change
from gongzhi.core.errors import DomainError
from gongzhi.core.models import AuditLog
from gongzhi.factories import PASSWORD


def test_password_change__page_changes_it_and_keeps_the_session(people, login):
    client = login(people.gw_a)
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Grid-Worker-2026",
            "new_password2": "Grid-Worker-2026",
        },
    )
    assert response.status_code == 302
    people.gw_a.refresh_from_db()
    assert people.gw_a.check_password("Grid-Worker-2026")
    assert client.get("/").status_code == 200
    assert AuditLog.objects.filter(action="accounts.password_changed", actor=people.gw_a).exists()


@pytest.mark.parametrize(
    ("old", "new1", "new2", "message"),
    [
        ("wrong", "Grid-Worker-2026", "Grid-Worker-2026", "当前密码"),
        (PASSWORD, "Grid-Worker-2026", "Grid-Worker-2027", "不一致"),
        (PASSWORD, "12345678", "12345678", "密码"),
        (PASSWORD, "short", "short", "密码"),
    ],
)
def test_password_change__bad_input_shows_an_error_and_changes_nothing(
    people, login, old, new1, new2, message
):
    client = login(people.gw_a)
    response = client.post(
        "/account/password/", {"old_password": old, "new_password1": new1, "new_password2": new2}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    people.gw_a.refresh_from_db()
    assert people.gw_a.check_password(PASSWORD)
    assert not AuditLog.objects.filter(action="accounts.password_changed").exists()


def test_password_change__service_refuses_a_wrong_old_password(people):
    with pytest.raises(DomainError) as exc:
        user_password_change(user=people.gw_a, old_password="x", new_password="Grid-Worker-2026")
    assert exc.value.code == "wrong_password"
