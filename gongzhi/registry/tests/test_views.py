import pytest

from gongzhi.core.models import AuditLog
from gongzhi.registry.models import Resident
from gongzhi.registry.tests.conftest import ID_A, make_id


def test_residents_page__lists_masked_residents_of_the_area(places, people, login):
    body = login(people.gw_a).get("/registry/residents/").content.decode()
    assert "李大爷" in body and "138****5678" in body
    assert "王阿姨" not in body and "13812345678" not in body and ID_A not in body


def test_residents_page__search_by_id_number(places, people, login):
    body = login(people.community_worker).get("/registry/residents/", {"q": ID_A}).content.decode()
    assert "李大爷" in body and "王阿姨" not in body


def test_resident_page__other_grid_is_404_and_masked_here(places, people, login):
    client = login(people.gw_a)
    assert client.get(f"/registry/residents/{places.resident_b.pk}/").status_code == 404
    body = client.get(f"/registry/residents/{places.resident_a.pk}/").content.decode()
    assert places.resident_a.id_number_masked in body and ID_A not in body


def test_resident_page__numbers_in_the_note_are_masked(places, people, login):
    Resident.objects.filter(pk=places.resident_a.pk).update(note="儿子 +86 139 0000 2222")
    body = login(people.gw_a).get(f"/registry/residents/{places.resident_a.pk}/").content.decode()
    assert "儿子 139****2222" in body and "0000 2222" not in body


def test_reveal_button__shows_the_value_and_audits(places, people, login):
    client = login(people.gw_a)
    response = client.post(
        f"/registry/residents/{places.resident_a.pk}/reveal/id_number/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and ID_A in response.content.decode()
    assert AuditLog.objects.filter(action="registry.pii_revealed").count() == 1


def test_reveal_button__not_shown_to_a_leader_and_refused(places, people, login):
    client = login(people.leader)
    body = client.get(f"/registry/residents/{places.resident_a.pk}/").content.decode()
    assert "/reveal/" not in body
    assert (
        client.post(f"/registry/residents/{places.resident_a.pk}/reveal/phone/").status_code == 403
    )
    assert not AuditLog.objects.filter(action="registry.pii_revealed").exists()


def test_resident_form__creates_with_a_new_room(places, people, login):
    client = login(people.gw_a)
    number = make_id("41030219851111123")
    response = client.post(
        "/registry/residents/new/",
        {
            "name": "赵新",
            "id_number": number,
            "phone": "",
            "building_id": places.building_a.pk,
            "unit_name": "2单元",
            "room": "101",
            "residence_type": "floating",
        },
    )
    assert response.status_code == 302
    r = Resident.objects.get(name="赵新")
    assert (r.household.unit_name, r.household.room, r.residence_type) == (
        "2单元",
        "101",
        "floating",
    )


def test_resident_form__bad_id_shows_chinese_error_and_saves_nothing(places, people, login):
    response = login(people.gw_a).post(
        "/registry/residents/new/",
        {
            "name": "赵新",
            "id_number": "123",
            "grid_id": places.building_a.grid_id,
            "residence_type": "registered",
        },
    )
    assert response.status_code == 400
    assert "身份证号" in response.content.decode()
    assert not Resident.objects.filter(name="赵新").exists()


def test_resident_form__grid_outside_scope_is_404(places, people, login):
    response = login(people.gw_a).post(
        "/registry/residents/new/",
        {"name": "外人", "grid_id": places.building_b.grid_id, "residence_type": "registered"},
    )
    # The grid is not among the choices: the form refuses it before any service runs.
    assert response.status_code == 400
    assert not Resident.objects.filter(name="外人").exists()


@pytest.mark.parametrize(
    "choice",
    [{}, {"grid_id": ""}, {"building_id": "999999"}],
    ids=["no grid", "empty grid", "a building that does not exist"],
)
def test_resident_form__a_missing_choice_is_a_form_error_with_the_input_kept(
    places, people, login, choice
):
    response = login(people.gw_a).post(
        "/registry/residents/new/",
        {"name": "钱多多", "residence_type": "registered", "note": "独居", **choice},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="钱多多"' in page and "独居" in page  # what was typed is kept
    assert "field-error" in page or "errorlist" in page
    assert not Resident.objects.filter(name="钱多多").exists()


def test_overview_and_lists_render(places, people, login):
    client = login(people.community_worker)
    for path in [
        "/registry/",
        "/registry/buildings/",
        f"/registry/buildings/{places.building_a.pk}/",
        "/registry/premises/",
        "/registry/premises/new/",
        "/registry/buildings/new/",
        "/registry/residents/new/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_registry_pages__resident_role_gets_404(places, people, login):
    client = login(people.resident)
    assert client.get("/registry/").status_code == 404
    assert client.get("/registry/residents/").status_code == 404


def test_building_role__appointed_from_the_building_page(places, people, login):
    from gongzhi.registry.models import BuildingRole

    client = login(people.gw_a)
    url = f"/registry/buildings/{places.building_a.pk}/roles/"
    response = client.post(url, {"resident_id": places.resident_a.pk, "role": "head"})
    assert response.status_code == 302
    assert BuildingRole.objects.get().resident == places.resident_a
    bad = client.post(url, {"resident_id": places.resident_b.pk, "role": "head"})
    assert bad.status_code == 400 and BuildingRole.objects.count() == 1
    other = login(people.gw_b).post(url, {"resident_id": places.resident_a.pk, "role": "informant"})
    assert other.status_code == 404 and BuildingRole.objects.count() == 1


def test_admin_resident_page__numbers_in_the_note_are_masked(places, people, login):
    Resident.objects.filter(pk=places.resident_a.pk).update(note="儿子 +86 139 0000 2222")
    people.admin.is_superuser = True
    people.admin.save()
    response = login(people.admin).get(f"/admin/registry/resident/{places.resident_a.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "139****2222" in body and "0000 2222" not in body
