"""The monthly QR report as a file: the upload page (check, errors by row and column,
write all at once) and ``market4 activity import``."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from market4.activity.models import ActivityUpload
from market4.extensions import db
from market4.registry.activity import PaymentActivity
from market4.vocabulary import BatchStatus
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"
HEADER = "Ngân hàng,Số tài khoản / số thẻ,Tháng,Có nhận tiền qua QR,Số giao dịch QR"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("market4.activity.services.today", lambda: date(2026, 12, 4))


@pytest.fixture
def partner(app):
    user = f.user("bank_partner", org=f.organisation(bank_bin=f.VCB))
    user.password_hash = generate_password_hash(PASSWORD)
    db.session.flush()
    return user


@pytest.fixture
def accounts(partner):
    found = []
    for _ in range(3):
        registered = f.registered_vendor(org=partner.organisation)
        registered.occupancy.started_on = f.LONG_AGO
        found.append(registered.account)
    db.session.flush()
    return found


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode("utf-8")


def sign_in(client, user) -> None:
    response = client.post("/dang-nhap", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def upload(client, content: bytes, name: str = "bao-cao-10-2026.csv"):
    return client.post(
        "/bao-cao-qr/",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(PaymentActivity))


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_upload_check_then_write_all_at_once(client, partner, accounts):
    sign_in(client, partner)
    content = csv_file(
        f",{accounts[0].account_number},2026-10,có,10-49",
        f"970436,{accounts[1].account_number},10/2026,không,",
        f"Vietcombank,{accounts[2].account_number},2026-10,,200+",
    )
    response = upload(client, content)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url)
    text = text_of(page)
    assert "3 dòng dữ liệu" in text and "2 tài khoản có nhận tiền qua QR" in text
    assert "Tháng: 10/2026" in text and "Ghi báo cáo (3 dòng)" in text
    assert stored() == 0  # checked, nothing reported yet

    written = client.post(preview_url + "/ghi", follow_redirects=True)
    assert "Đã ghi báo cáo: 3 dòng mới, 0 dòng thay báo cáo cũ, 0 dòng không đổi." in text_of(
        written
    )
    rows = {
        r.payment_account_id: (r.received, r.count_band, r.source)
        for r in db.session.scalars(select(PaymentActivity))
    }
    assert rows == {
        accounts[0].id: (True, "10-49", "csv"),
        accounts[1].id: (False, "0", "csv"),
        accounts[2].id: (True, "200+", "csv"),
    }
    again = client.post(preview_url + "/ghi", follow_redirects=True)
    assert "Tệp báo cáo này đã được ghi vào hệ thống." in text_of(again)
    assert stored() == 3

    # The same file next month (a bank re-sending it): nothing changes.
    response = upload(client, content)
    client.post(response.headers["Location"] + "/ghi")
    latest = db.session.scalars(select(ActivityUpload).order_by(ActivityUpload.id.desc())).first()
    assert (latest.summary["created"], latest.summary["unchanged"]) == (0, 3)


def test_errors_are_listed_by_row_and_column_and_nothing_is_written(client, partner, accounts):
    theirs = f.registered_vendor(bank_bin=f.AGRIBANK).account
    sign_in(client, partner)
    response = upload(
        client,
        csv_file(
            f",{accounts[0].account_number},2026-10,có,10-49",
            f",{accounts[1].account_number},2027-01,có,10-49",
            f"970405,{theirs.account_number},2026-10,có,1-9",
            ',"=HYPERLINK(""http://x"")",2026-10,có,37',
            header=HEADER + ",Số tiền",
        ),
    )
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    problems = [
        tuple(" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells)
        for cells in re.findall(
            r'<td data-label="Dòng" class="num">(\d+)</td>\s*<td data-label="Cột">(.*?)</td>\s*'
            r'<td data-label="Lý do" class="reason">(.*?)</td>',
            html,
            re.S,
        )
    ]
    assert [(row, column) for row, column, _ in problems] == [
        ("3", "Tháng"),
        ("4", "Ngân hàng"),
        ("5", "Số tài khoản / số thẻ"),
        ("5", "Số giao dịch QR"),
    ]
    assert "chỉ báo cáo được đến tháng 12/2026" in problems[0][2]
    assert (
        "Chi nhánh ngân hàng chỉ thao tác với tài khoản tại ngân hàng của mình." in problems[1][2]
    )
    # A column that is not part of the report is named, and never kept.
    assert "không thuộc báo cáo và không được lưu: Số tiền" in text_of(page)
    assert "Ghi báo cáo" not in text_of(page)
    checked = db.session.scalars(select(ActivityUpload)).one()
    assert all(
        set(row["values"]) == {"bank", "account_number", "month", "received", "count_band"}
        for row in checked.rows
    )
    refused = client.post(response.headers["Location"] + "/ghi", follow_redirects=True)
    assert "Tệp còn dòng chưa hợp lệ" in text_of(refused)
    assert stored() == 0


def test_a_file_without_the_columns_is_refused_on_the_form(client, partner):
    sign_in(client, partner)
    response = upload(client, csv_file("1,2", header="Số tài khoản,Ghi chú"))
    assert response.status_code == 422
    assert "Thiếu cột: Tháng." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(ActivityUpload)) == 0


def test_an_xlsx_file_is_read_too(client, partner, accounts):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Số tài khoản", "Tháng", "Nhận tiền qua QR", "Số giao dịch"])
    sheet.append([accounts[0].account_number, "2026-10", "có", "50-199"])
    sheet.append([accounts[1].account_number, date(2026, 9, 1), "không", "0"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sign_in(client, partner)
    response = upload(client, buffer.getvalue(), "bao-cao.xlsx")
    checked = db.session.scalars(select(ActivityUpload)).one()
    assert response.status_code == 302 and checked.summary["invalid"] == 0
    assert [row["values"]["month"] for row in checked.rows] == ["2026-10", "2026-09"]


def test_another_organisations_upload_is_not_found(client, partner, accounts):
    sign_in(client, partner)
    location = upload(client, csv_file(f",{accounts[0].account_number},2026-10,có,1-9")).headers[
        "Location"
    ]
    client.post("/dang-xuat")
    other = f.user("bank_partner", org=f.organisation(bank_bin=f.VCB))
    other.password_hash = generate_password_hash(PASSWORD)
    db.session.commit()
    sign_in(client, other)
    assert client.get(location).status_code == 404
    assert client.post(location + "/ghi").status_code == 404
    assert stored() == 0


def test_the_template_is_the_header_row(client, partner):
    sign_in(client, partner)
    response = client.get("/bao-cao-qr/mau.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data() == csv_file(header=HEADER)


# --- market4 activity import -----------------------------------------------------------------


def write(tmp_path, content: bytes, name: str = "bao-cao.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_cli_writes_a_valid_file(runner, partner, accounts, tmp_path):
    path = write(tmp_path, csv_file(f",{accounts[0].account_number},2026-10,có,1-9"))
    dry = runner.invoke(args=["activity", "import", path, "--user", partner.email, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "chưa ghi gì" in dry.output and stored() == 0
    result = runner.invoke(args=["activity", "import", path, "--user", partner.email.upper()])
    assert result.exit_code == 0, result.output
    assert "Đã ghi: 1 mới, 0 thay báo cáo cũ, 0 không đổi." in result.output
    assert stored() == 1
    uploads = db.session.scalars(select(ActivityUpload).order_by(ActivityUpload.id)).all()
    assert [u.status for u in uploads] == [BatchStatus.PREVIEWED, BatchStatus.COMMITTED]


def test_cli_lists_row_errors_and_writes_nothing(runner, partner, accounts, tmp_path):
    path = write(
        tmp_path,
        csv_file(
            f",{accounts[0].account_number},2026-10,có,1-9",
            f",{accounts[1].account_number},2018-01,có,1-9",
        ),
    )
    result = runner.invoke(args=["activity", "import", path, "--user", partner.email])
    assert result.exit_code == 1
    assert "dòng 3, cột Tháng: Tháng báo cáo phải từ 10/2018 trở đi." in result.output
    assert stored() == 0


def test_cli_refuses_unknown_users_and_other_roles(runner, accounts, tmp_path):
    path = write(tmp_path, csv_file(f"970436,{accounts[0].account_number},2026-10,có,1-9"))
    nobody = runner.invoke(args=["activity", "import", path, "--user", "nobody@example.vn"])
    assert nobody.exit_code == 2 and "no active user" in nobody.output
    manager = f.user("market_manager", org=f.organisation(kind="market_board", bank_bin=None))
    refused = runner.invoke(args=["activity", "import", path, "--user", manager.email])
    assert refused.exit_code == 2 and "Vai trò của bạn không được làm việc này." in refused.output
    assert stored() == 0


def test_a_file_larger_than_a_form_is_read_not_refused_for_its_size(client, partner):
    """Pages take 1 MiB; the report, read like the vendor import, takes a file's worth."""
    sign_in(client, partner)
    big = csv_file(*(f",10{n:010d},2026-10,có,1-9" for n in range(60_000)))
    assert len(big) > 1024 * 1024
    # Encoded here: the test client would spool a big upload to a temporary file it never
    # closes.
    boundary = "market4-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/bao-cao-qr/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 422  # read, and refused for its rows, not its size
    assert "hơn 20.000 dòng" in text_of(response)
