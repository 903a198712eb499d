"""Organisations: kind, bank by BIN, and an area whose level fits the kind."""

from __future__ import annotations

from sqlalchemy import select

from market4.audit.models import AuditEvent
from market4.auth.models import Organisation


def create(client, **fields):
    data = {
        "kind": "commune_office",
        "name": "UBND xã Ngãi Giao",
        "bank_bin": "",
        "area": "",
        **fields,
    }
    return client.post("/quan-tri/don-vi/moi", data=data)


def organisation_named(session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.name == name))


def test_commune_office_found_by_name_without_diacritics(admin_client, session, areas, banks):
    response = create(admin_client, area="ngai giao")
    assert response.status_code == 302
    office = organisation_named(session, "UBND xã Ngãi Giao")
    # "Ngãi Giao" is also a 2008 thị trấn with the same code: only the 2025 xã fits.
    assert office.area_id == areas.ngai_giao.id
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "Organisation", AuditEvent.object_id == str(office.id)
        )
    )
    assert event.action == "create" and event.before is None
    assert event.after["kind"] == "commune_office" and "2025/commune/26575" in event.after["area"]


def test_area_by_scheme_level_code_and_by_autocomplete_id(admin_client, session, areas, banks):
    assert (
        create(
            admin_client, name="Sở Công Thương", kind="province_office", area="2025/province/79"
        ).status_code
        == 302
    )
    assert organisation_named(session, "Sở Công Thương").area_id == areas.ho_chi_minh.id
    picked = {"area": "Xã Ngãi Giao, Thành phố Hồ Chí Minh", "area_id": str(areas.ngai_giao.id)}
    assert create(admin_client, name="UBND xã (gợi ý)", **picked).status_code == 302
    assert organisation_named(session, "UBND xã (gợi ý)").area_id == areas.ngai_giao.id


def test_bank_branch_without_bank_is_refused_next_to_the_bank_field(
    admin_client, session, banks, error_next_to
):
    response = create(admin_client, kind="bank_branch", name="Vietcombank PGD")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_next_to(page, "bank_bin") == "Chi nhánh ngân hàng phải chọn ngân hàng."
    assert organisation_named(session, "Vietcombank PGD") is None


def test_only_bank_branches_choose_a_bank(admin_client, areas, banks, error_next_to):
    page = create(admin_client, bank_bin="970436", area="2025/commune/26575").get_data(as_text=True)
    assert error_next_to(page, "bank_bin") == "Chỉ chi nhánh ngân hàng mới chọn ngân hàng."


def test_commune_office_with_a_province_area_is_refused(admin_client, areas, banks, error_next_to):
    page = create(admin_client, area="2025/province/79").get_data(as_text=True)
    assert "xã/phường theo địa giới 2025" in error_next_to(page, "area")


def test_district_office_needs_a_2008_district(admin_client, session, areas, banks, error_next_to):
    page = create(
        admin_client, kind="district_office", name="Phòng Kinh tế", area="2025/commune/26575"
    ).get_data(as_text=True)
    assert "trước 01/07/2025" in error_next_to(page, "area")
    assert (
        create(
            admin_client, kind="district_office", name="Phòng Kinh tế", area="Châu Đức"
        ).status_code
        == 302
    )
    assert organisation_named(session, "Phòng Kinh tế").area_id == areas.chau_duc.id


def test_ambiguous_name_offers_a_choice_without_javascript(
    admin_client, session, areas, banks, error_next_to
):
    # A bank branch may cover a district (2008) or a commune (2025): "Châu Đức" is both.
    fields = {
        "kind": "bank_branch",
        "name": "BIDV Châu Đức",
        "bank_bin": "970418",
        "area": "Châu Đức",
    }
    page = create(admin_client, **fields).get_data(as_text=True)
    assert "hãy chọn một" in error_next_to(page, "area")
    assert f'name="area_choice" value="{areas.chau_duc.id}"' in page
    response = create(admin_client, **fields, area_choice=str(areas.chau_duc.id))
    assert response.status_code == 302
    assert organisation_named(session, "BIDV Châu Đức").area_id == areas.chau_duc.id


def test_unknown_area_and_unknown_key(admin_client, areas, banks, error_next_to):
    page = create(admin_client, area="Không Có Xã Này").get_data(as_text=True)
    assert "Không tìm thấy địa bàn" in error_next_to(page, "area")
    page = create(admin_client, area="2025/commune/99999").get_data(as_text=True)
    assert error_next_to(page, "area") == "Không có địa bàn 2025/commune/99999."


def test_edit_records_only_what_changed(admin_client, session, areas, banks):
    create(admin_client, area="2025/commune/26575")
    office = organisation_named(session, "UBND xã Ngãi Giao")
    page = admin_client.get(f"/quan-tri/don-vi/{office.id}").get_data(as_text=True)
    assert "Xã Ngãi Giao, Thành phố Hồ Chí Minh" in page  # the area is shown by name
    response = admin_client.post(
        f"/quan-tri/don-vi/{office.id}",
        data={
            "kind": "commune_office",
            "name": "UBND xã Ngãi Giao (mới)",
            "bank_bin": "",
            "area": "Xã Ngãi Giao, Thành phố Hồ Chí Minh",
            "area_id": str(areas.ngai_giao.id),
        },
    )
    assert response.status_code == 302
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "update", AuditEvent.object_id == str(office.id)
        )
    )
    assert (
        event.before["name"] == "UBND xã Ngãi Giao"
        and event.after["name"] == "UBND xã Ngãi Giao (mới)"
    )
    assert event.before["area"] == event.after["area"]


def test_stale_autocomplete_id_is_ignored_when_the_text_changed(
    admin_client, session, areas, banks
):
    response = create(
        admin_client,
        kind="province_office",
        name="Sở",
        area="2025/province/79",
        area_id=str(areas.ngai_giao.id),
    )
    assert response.status_code == 302
    assert organisation_named(session, "Sở").area_id == areas.ho_chi_minh.id


def test_list_filters_by_kind(admin_client, areas, banks):
    create(admin_client, area="2025/commune/26575")
    create(admin_client, kind="bank_branch", name="Agribank Châu Đức", bank_bin="970405")
    page = admin_client.get("/quan-tri/don-vi?kind=bank_branch").get_data(as_text=True)
    assert "Agribank Châu Đức" in page and "970405 · Agribank" in page
    assert "UBND xã Ngãi Giao</a>" not in page
    page = admin_client.get("/quan-tri/don-vi?q=ubnd+ngai").get_data(as_text=True)
    assert "UBND xã Ngãi Giao</a>" in page and "Agribank Châu Đức</a>" not in page


def test_the_operator_has_no_area(admin_client, areas, banks, error_next_to):
    page = create(admin_client, kind="operator", name="Vận hành", area="Ngãi Giao").get_data(
        as_text=True
    )
    assert error_next_to(page, "area") == "Loại đơn vị này không gắn với địa bàn, hãy để trống."
    assert create(admin_client, kind="operator", name="Vận hành").status_code == 302


def test_a_change_may_not_strand_the_members(
    admin_client, session, areas, banks, make_user, error_next_to
):
    create(admin_client, kind="bank_branch", name="Agribank Châu Đức", bank_bin="970405")
    branch = organisation_named(session, "Agribank Châu Đức")
    make_user("doitac@example.vn", "bank_partner", branch)
    page = admin_client.post(
        f"/quan-tri/don-vi/{branch.id}",
        data={"kind": "market_board", "name": branch.name, "bank_bin": "", "area": ""},
    ).get_data(as_text=True)
    assert "đối tác ngân hàng" in error_next_to(page, "bank_bin")
    assert branch.kind == "bank_branch" and branch.bank_bin == "970405"
