"""POST /api/v1/imports: the shared bulk import over the API, dry run first."""

from __future__ import annotations

import csv
import io

from tests import factories
from tests.api.test_auth import assert_problem

HEADER = (
    "Mã chợ",
    "Mã sạp",
    "Tên tiểu thương",
    "Số điện thoại",
    "Ngân hàng",
    "Số tài khoản / số thẻ",
    "Tên chủ tài khoản",
    "Ngành hàng",
    "Mã tham chiếu",
)


def csv_file(rows: list[list[str]]) -> io.BytesIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8"))


def rows_for(market) -> list[list[str]]:
    good = factories.stall(market)
    return [
        [
            market.code,
            good.code,
            "Phạm Thị Lan",
            factories.phone(),
            "",
            factories.account_number(),
            "",
            "Rau củ",
            "IMP-1",
        ],
        [market.code, "Sạp không có", "Võ Văn Bảy", "0912", "", "12.5", "", "", "IMP-2"],
    ]


def upload(client, who, rows, *, dry_run: bool, name: str = "tieu-thuong.csv", headers=None):
    return client.post(
        "/api/v1/imports",
        headers={**who.headers, **(headers or {})},
        data={"dry_run": "true" if dry_run else "false", "file": (csv_file(rows), name)},
        content_type="multipart/form-data",
    )


def test_dry_run_then_import(client, partner):
    rows = rows_for(factories.market())
    preview = upload(client, partner, rows, dry_run=True)
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["dry_run"] is True and body["status"] == "previewed"
    assert [(r["row_number"], r["outcome"]) for r in body["rows"]] == [
        (2, "create"),
        (3, "invalid"),
    ]
    assert body["rows"][1]["errors"] and all(r["vendor_id"] is None for r in body["rows"])
    done = upload(client, partner, rows, dry_run=False).get_json()
    assert done["status"] == "committed" and done["rows"][0]["vendor_id"] is not None
    listed = client.get(
        "/api/v1/vendors?partner_reference=IMP-1", headers=partner.headers
    ).get_json()
    assert [v["id"] for v in listed["items"]] == [done["rows"][0]["vendor_id"]]


def test_retry_with_the_same_key_replays(client, partner):
    rows = rows_for(factories.market())
    first = upload(client, partner, rows, dry_run=False, headers={"Idempotency-Key": "file-1"})
    retry = upload(client, partner, rows, dry_run=False, headers={"Idempotency-Key": "file-1"})
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.get_json() == first.get_json()


def test_refusals(client, partner, make_api_user):
    assert_problem(upload(client, partner, [], dry_run=True, name="anh.png"), 422)
    staff = make_api_user("area_staff")
    assert_problem(upload(client, staff, [], dry_run=True), 403)
    missing = client.post(
        "/api/v1/imports",
        headers=partner.headers,
        data={"dry_run": "true"},
        content_type="multipart/form-data",
    )
    assert assert_problem(missing, 422)["errors"][0]["field"] == "file"
