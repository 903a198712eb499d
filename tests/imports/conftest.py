"""Fixtures for the import tests: an Agribank branch, its user, a market with vacant stalls."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

import pytest

from market4.auth.models import Organisation, User
from market4.auth.services import create_user
from market4.registry.markets import Market, Stall
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"
HEADER = [
    "Mã chợ",
    "Mã sạp",
    "Tên tiểu thương",
    "Số điện thoại",
    "Ngân hàng",
    "Số tài khoản / số thẻ",
    "Tên chủ tài khoản",
    "Ngành hàng",
    "Mã tham chiếu",
]
# One valid data row of the template, column for column.
ROW = [
    "CD-NGAIGIAO",
    "Sạp 1",
    "Nguyễn Thị Đào",
    "0912345678",
    "",
    "1903123456789",
    "",
    "Rau củ",
    "AGR-1",
]


@dataclass
class World:
    org: Organisation
    user: User
    market: Market
    stalls: list[Stall]

    def row(self, index: int, **overrides: str) -> list[str]:
        """A valid row for stall ``index`` (0-based), as the template's columns."""
        values = {
            "market": self.market.code,
            "stall": self.stalls[index].code,
            "name": f"Nguyễn Thị Đào {index}",
            "phone": f"0912{index:06d}",
            "bank": "",
            "account": f"190300{index:07d}",
            "holder": "",
            "category": "Rau củ",
            "ref": f"AGR-{index}",
        }
        values.update(overrides)
        return [
            values[key]
            for key in (
                "market",
                "stall",
                "name",
                "phone",
                "bank",
                "account",
                "holder",
                "category",
                "ref",
            )
        ]


@pytest.fixture
def world(session) -> World:
    org = f.organisation(bank_bin=f.AGRIBANK, name="Agribank chi nhánh thử")
    user = create_user(
        email="agr@test.market4.vn",
        name="Cán bộ Agribank",
        role="bank_partner",
        password=PASSWORD,
        organisation=org,
    )
    market = f.market(name="Chợ Thử")
    stalls = [f.stall(market, code=f"Sạp {n}") for n in range(1, 13)]
    return World(org, user, market, stalls)


def to_csv(rows: list[list[str]], header: list[str] | None = None, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Encode like Windows-1258 does: base letters precomposed, tone marks combining."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(p for p in parts if p in _TONES)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def xlsx(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def sign_in():
    def run(client, email: str = "agr@test.market4.vn", password: str = PASSWORD):
        return client.post("/dang-nhap", data={"email": email, "password": password})

    return run
