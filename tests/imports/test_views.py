"""The import pages: roles, organisation scope, upload → preview → commit, downloads."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from market4.auth.services import create_user
from market4.registry.imports import ImportBatch
from market4.registry.vendors import Vendor
from tests import factories as f
from tests.imports.conftest import PASSWORD, to_csv


def upload(
    client,
    content: bytes,
    filename: str = "ds.csv",
    consent: bool = True,
    bank_bin: str | None = None,
):
    data = {"file": (io.BytesIO(content), filename)}
    if consent:
        data["consent"] = "y"
    if bank_bin:
        data["bank_bin"] = bank_bin
    return client.post("/nhap-excel/", data=data, content_type="multipart/form-data")


@pytest.fixture
def partner(client, world, sign_in):
    assert sign_in(client).status_code == 302
    return client


def test_signed_out_users_go_to_sign_in_and_other_roles_are_refused(client, world, session):
    assert client.get("/nhap-excel/").status_code == 302
    manager = create_user(
        email="ql@test.market4.vn",
        name="QL",
        role="market_manager",
        password=PASSWORD,
        organisation=f.organisation(kind="market_board"),
    )
    client.post("/dang-nhap", data={"email": manager.email, "password": PASSWORD})
    assert client.get("/nhap-excel/").status_code == 403
    assert client.get("/nhap-excel/mau.xlsx").status_code == 403


def test_upload_preview_commit(partner, world, session):
    page = partner.get("/nhap-excel/")
    assert page.status_code == 200 and "Agribank" in page.text and "Kiểm tra tệp" in page.text
    response = upload(partner, to_csv([world.row(0), world.row(1, phone="912345678")]).encode())
    assert response.status_code == 302
    batch = session.scalars(select(ImportBatch)).one()
    preview = partner.get(response.headers["Location"])
    text = preview.text
    assert preview.status_code == 200
    assert "Ghi vào hệ thống" in text and "Số điện thoại mất số 0" in text
    assert "…0000" in text and "1903000000000" not in text  # account numbers masked on screen
    assert session.scalar(select(func.count()).select_from(Vendor)) == 0

    done = partner.post(f"/nhap-excel/{batch.id}/ghi", follow_redirects=True)
    assert done.status_code == 200 and "Đã ghi vào hệ thống: 1" in done.text
    assert batch.status == "committed"
    assert session.scalar(select(func.count()).select_from(Vendor)) == 1
    assert (
        partner.post(f"/nhap-excel/{batch.id}/ghi", follow_redirects=True).status_code == 200
    )  # flash, no 500


def test_refused_file_is_explained_next_to_the_field(partner, world):
    response = upload(partner, b"%PDF-1.7 ...", "hoa-don.pdf")
    assert response.status_code == 422
    assert 'id="file-error"' in response.text and "PDF" in response.text


def test_consent_is_required(partner, world, session):
    response = upload(partner, to_csv([world.row(0)]).encode(), consent=False)
    assert response.status_code == 422 and 'id="consent-error"' in response.text
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_partner_bank_is_fixed_even_if_the_form_is_tampered_with(partner, world, session):
    assert upload(partner, to_csv([world.row(0)]).encode(), bank_bin=f.VCB).status_code == 302
    assert session.scalars(select(ImportBatch)).one().bank_bin == f.AGRIBANK


def test_another_organisations_batch_is_404(partner, world, client, session):
    upload(partner, to_csv([world.row(0)]).encode())
    batch = session.scalars(select(ImportBatch)).one()
    other_org = f.organisation(bank_bin=f.AGRIBANK, name="Agribank chi nhánh khác")
    create_user(
        email="khac@test.market4.vn",
        name="Khác",
        role="bank_partner",
        password=PASSWORD,
        organisation=other_org,
    )
    client.post("/dang-xuat")
    client.post("/dang-nhap", data={"email": "khac@test.market4.vn", "password": PASSWORD})
    for url in (f"/nhap-excel/{batch.id}", f"/nhap-excel/{batch.id}/bao-cao.csv"):
        assert client.get(url).status_code == 404
    assert client.post(f"/nhap-excel/{batch.id}/ghi").status_code == 404
    assert f"#{batch.id}" not in client.get("/nhap-excel/").text


def test_admin_chooses_the_bank(client, world, session):
    operator = f.organisation(kind="operator", bank_bin=None)
    create_user(
        email="admin@test.market4.vn",
        name="Quản trị",
        role="admin",
        password=PASSWORD,
        organisation=operator,
    )
    client.post("/dang-nhap", data={"email": "admin@test.market4.vn", "password": PASSWORD})
    assert upload(client, to_csv([world.row(0)]).encode()).status_code == 422  # no bank chosen
    assert upload(client, to_csv([world.row(0)]).encode(), bank_bin=f.AGRIBANK).status_code == 302


def test_templates_download(partner):
    xlsx = partner.get("/nhap-excel/mau.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(xlsx.data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]][:3] == ["Mã chợ", "Mã sạp", "Tên tiểu thương"]
    assert all(sheet.cell(row=2, column=col).number_format == "@" for col in range(1, 10))
    assert sheet.column_dimensions["D"].number_format == "@"
    assert "Hướng dẫn" in workbook.sheetnames
    csv = partner.get("/nhap-excel/mau.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "Số tài khoản".encode() in csv.data


def test_report_downloads(partner, world, session):
    upload(
        partner,
        to_csv(
            [world.row(0), world.row(1, account="9.70E+15"), world.row(2, name="=HYPERLINK(1)")]
        ).encode(),
    )
    batch = session.scalars(select(ImportBatch)).one()
    csv = partner.get(f"/nhap-excel/{batch.id}/bao-cao.csv")
    text = csv.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Dòng,Kết quả,Cột,Lý do")
    assert "3,Không hợp lệ,Số tài khoản / số thẻ" in text and "số mũ" in text
    assert "1903000000000" not in text and "…0000" in text
    assert "'=HYPERLINK" in text  # no formula injection
    xlsx = partner.get(f"/nhap-excel/{batch.id}/bao-cao.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Dòng", "Kết quả", "Cột", "Lý do"]
    assert any(row[0] == 3 and row[2] == "Số tài khoản / số thẻ" for row in values[1:])


def test_report_rows_without_messages_have_empty_cells(partner, world, session):
    upload(partner, to_csv([world.row(0)]).encode())
    batch = session.scalars(select(ImportBatch)).one()
    line = (
        partner.get(f"/nhap-excel/{batch.id}/bao-cao.csv").data.decode("utf-8-sig").splitlines()[1]
    )
    assert line.startswith("2,Sẽ tạo mới,,,,,")
