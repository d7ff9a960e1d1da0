import pytest

from gongzhi.core import crypto
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.core.models import AuditLog
from gongzhi.registry import pii, services
from gongzhi.registry.models import Building, Household, Premises, Resident
from gongzhi.registry.tests.conftest import ID_A, make_id


def test_resident_save__stores_personal_data_encrypted_hashed_and_masked(places, tree):
    r = Resident.objects.get(pk=places.resident_a.pk)
    assert ID_A not in r.id_number_enc and "13812345678" not in r.phone_enc
    assert crypto.decrypt(r.id_number_enc, purpose=pii.ID_PURPOSE) == ID_A
    assert r.id_number_hash == pii.id_number_hash(ID_A)
    assert r.id_number_masked == ID_A[:4] + "*" * 10 + ID_A[-4:]
    assert (r.phone_masked, r.phone_last4) == ("138****5678", "5678")
    assert (r.gender, r.birth_date.year) == ("M", 1950)
    assert (r.grid, r.org_code) == (tree.grid_a, tree.grid_a.code)
    assert (r.household.building, r.household.unit_name, r.household.room) == (
        places.building_a,
        "1单元",
        "301",
    )
    assert [t.name for t in r.tags.all()] == ["老年人"]


def test_resident_save__audit_rows_carry_no_plain_personal_data(places):
    rows = AuditLog.objects.filter(action="registry.resident_saved")
    assert rows.count() == 2
    text = str(list(rows.values_list("changes", flat=True)))
    assert ID_A not in text and "13812345678" not in text
    assert "138****5678" in text


def test_resident_save__duplicate_id_number_is_a_conflict_and_writes_nothing(places, people, tree):
    before = (Resident.objects.count(), Household.objects.count(), AuditLog.objects.count())
    with pytest.raises(Conflict) as exc:
        services.resident_save(
            actor=people.gw_a,
            data=services.ResidentInput(
                name="重复", id_number=ID_A, building_id=places.building_a.pk, room="999"
            ),
        )
    assert exc.value.code == "duplicate_id_number"
    assert (Resident.objects.count(), Household.objects.count(), AuditLog.objects.count()) == before


@pytest.mark.parametrize(
    ("id_number", "field"),
    [
        (ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"), "id_number"),
        (make_id("41030220990101123"), "id_number"),
    ],
)
def test_resident_save__bad_id_number_is_a_field_error(people, tree, id_number, field):
    with pytest.raises(DomainError) as exc:
        services.resident_save(
            actor=people.gw_a,
            data=services.ResidentInput(name="某某", id_number=id_number, grid_id=tree.grid_a.pk),
        )
    assert exc.value.code == "invalid" and field in exc.value.details
    assert not Resident.objects.exists()


def test_resident_save__grid_outside_scope_is_not_found(people, tree):
    with pytest.raises(NotFound):
        services.resident_save(
            actor=people.gw_a, data=services.ResidentInput(name="外人", grid_id=tree.grid_b.pk)
        )
    with pytest.raises(NotFound):
        services.resident_save(
            actor=people.gw_a, data=services.ResidentInput(name="外人", grid_id=tree.community.pk)
        )
    assert not Resident.objects.exists()


def test_resident_save__building_outside_scope_is_not_found(people, places):
    with pytest.raises(NotFound):
        services.resident_save(
            actor=people.gw_a,
            data=services.ResidentInput(name="外人", building_id=places.building_b.pk, room="101"),
        )
    assert not Household.objects.filter(building=places.building_b, room="101").exists()


def test_resident_save__leader_may_not_write(people, tree):
    with pytest.raises(PermissionDenied):
        services.resident_save(
            actor=people.leader, data=services.ResidentInput(name="x", grid_id=tree.grid_a.pk)
        )


def test_resident_save__edit_with_blank_id_keeps_the_stored_one(places, people):
    r = places.resident_a
    services.resident_save(
        actor=people.gw_a,
        data=services.ResidentInput(
            name="李大爷", grid_id=r.grid_id, household_id=r.household_id, residence_type="floating"
        ),
        resident=r,
    )
    r.refresh_from_db()
    assert r.id_number_hash == pii.id_number_hash(ID_A) and r.phone_masked == "138****5678"
    assert r.residence_type == "floating"


def test_pii_reveal__returns_the_value_and_audits(places, people):
    assert (
        services.pii_reveal(actor=people.gw_a, obj=places.resident_a, field_name="id_number")
        == ID_A
    )
    row = AuditLog.objects.get(action="registry.pii_revealed")
    assert row.actor == people.gw_a and row.changes["field"] == "id_number"
    assert ID_A not in str(row.changes)


def test_pii_reveal__leader_and_other_grid_are_refused_and_not_audited(places, people):
    with pytest.raises(PermissionDenied):
        services.pii_reveal(actor=people.leader, obj=places.resident_a, field_name="phone")
    with pytest.raises(PermissionDenied):
        services.pii_reveal(actor=people.gw_b, obj=places.resident_a, field_name="phone")
    assert not AuditLog.objects.filter(action="registry.pii_revealed").exists()


def test_building_save__duplicate_name_in_grid(people, tree, places):
    with pytest.raises(Conflict):
        services.building_save(actor=people.gw_a, grid_id=tree.grid_a.pk, name="六安公寓1号楼")
    assert Building.objects.filter(name="六安公寓1号楼").count() == 1


def test_building_save__gcj02_location_is_stored_as_wgs84(people, tree):
    import prcoords

    b = services.building_save(
        actor=people.gw_a, grid_id=tree.grid_a.pk, name="定位楼", lng=112.45, lat=34.62, crs="gcj02"
    )
    expected = prcoords.gcj_wgs_bored((34.62, 112.45))
    assert b.lng == pytest.approx(expected.lon, abs=1e-6) and b.lat == pytest.approx(
        expected.lat, abs=1e-6
    )
    with pytest.raises(DomainError):
        services.building_save(
            actor=people.gw_a, grid_id=tree.grid_a.pk, name="海外楼", lng=-3, lat=51
        )


def test_premises_save__credit_code_validated_and_unique(people, tree, places):
    p = services.premises_save(
        actor=people.gw_a,
        grid_id=tree.grid_a.pk,
        name="李记便利店",
        category_id=places.category.pk,
        phone="0379-62345678",
        uscc="91110000600037341L",
    )
    assert p.phone_masked == "0379-****5678" and p.uscc == "91110000600037341L"
    with pytest.raises(DomainError) as exc:
        services.premises_save(
            actor=people.gw_a,
            grid_id=tree.grid_a.pk,
            name="x",
            category_id=places.category.pk,
            uscc="123",
        )
    assert "uscc" in exc.value.details
    with pytest.raises(Conflict):
        services.premises_save(
            actor=people.gw_a,
            grid_id=tree.grid_a.pk,
            name="另一家",
            category_id=places.category.pk,
            uscc="91110000600037341L",
        )
    assert Premises.objects.count() == 1


def test_building_role_set(places, people):
    from gongzhi.registry.models import BuildingRole

    role = services.building_role_set(
        actor=people.gw_a, building=places.building_a, resident=places.resident_a, role="head"
    )
    assert (role.role, BuildingRole.objects.count()) == ("head", 1)
    with pytest.raises(NotFound):
        services.building_role_set(
            actor=people.gw_a, building=places.building_a, resident=places.resident_b, role="head"
        )


def test_building_moved_to_another_grid_takes_its_households_and_residents(places, people, tree):
    b = places.building_a
    services.building_save(
        actor=people.community_worker, building=b, grid_id=tree.grid_b.pk, name=b.name
    )
    r = Resident.objects.get(pk=places.resident_a.pk)
    assert (r.grid, r.org_code) == (tree.grid_b, tree.grid_b.code)
    assert set(Household.objects.filter(building=b).values_list("org_code", flat=True)) == {
        tree.grid_b.code
    }
    # The grid A worker no longer sees them; the grid B worker does.
    from gongzhi.registry import selectors

    assert not selectors.residents_visible_to(people.gw_a).filter(pk=r.pk).exists()
    assert selectors.residents_visible_to(people.gw_b).filter(pk=r.pk).exists()
