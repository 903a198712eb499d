"""Formula injection: text that could start a formula never runs as one in a CSV or XLSX.

The helper (``market4.spreadsheets``) on its own, then the dashboard's downloads for a
market named like a formula, on both databases.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from market4.auth.services import create_user
from market4.spreadsheets import FORMULA_PREFIXES, safe_cell, safe_row
from tests import factories
from tests.clients import PASSWORD, signed_in

EVIL_NAME = '=HYPERLINK("http://evil.example","x")'


# --- the helper ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        EVIL_NAME,
        "=1+1",
        "+84912345678",  # a phone given as text: quoted, which is right
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
    ],
)
def test_text_that_could_start_a_formula_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


def test_every_listed_prefix_is_neutralised():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"}
    for prefix in FORMULA_PREFIXES:
        assert safe_cell(prefix) == "'" + prefix
        assert safe_cell(f"{prefix}x") == f"'{prefix}x"


@pytest.mark.parametrize("number", [0, 7, -5, -0.5, 3.25, 10**12])
def test_numbers_stay_numbers(number):
    assert safe_cell(number) is number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Chợ Ngãi Giao",
        "Sạp 12 – rau củ",
        "Nguyễn Thị Bảy",
        "0912345678",
        "a=b",  # only the first character counts
        "Chợ đêm (khu A-B)",
        "'=already quoted",
        " =leading space",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert safe_cell(text) == text


def test_none_and_other_values_are_left_alone():
    assert safe_cell(None) is None
    assert safe_cell(True) is True
    assert safe_row(["=1", 2, None, "Chợ", "-3", -3]) == ["'=1", 2, None, "Chợ", "'-3", -3]


# --- the dashboard's downloads ------------------------------------------------------


@pytest.fixture
def evil_market(app, session):
    area = factories.commune()
    market = factories.market(name=EVIL_NAME, area=area)
    factories.stall(market)
    factories.stall(market)
    office = factories.organisation("commune_office", bank_bin=None, area=area)
    staff = create_user(
        email="canbo-congthuc@test.market4.vn",
        name="Cán bộ xã",
        role="area_staff",
        password=PASSWORD,
        organisation=office,
    )
    admin = create_user(
        email="quantri-congthuc@test.market4.vn",
        name="Quản trị",
        role="admin",
        password=PASSWORD,
        organisation=factories.organisation("operator", bank_bin=None),
    )
    session.commit()
    return market, {"area_staff": staff, "admin": admin}


@pytest.mark.parametrize("role", ["area_staff", "admin"])
def test_dashboard_csv_has_no_formula_cell(app, evil_market, role):
    market, users = evil_market
    client = signed_in(app, users[role])
    response = client.get("/tong-quan/xuat.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert all(not cell.startswith("=") for row in rows for cell in row)
    row = next(row for row in rows if row[0] == market.code)
    assert row[1] == "'" + EVIL_NAME
    assert row[6] == "2"  # counts stay plain numbers


@pytest.mark.parametrize("role", ["area_staff", "admin"])
def test_dashboard_xlsx_has_no_formula_cell(app, evil_market, role):
    market, users = evil_market
    client = signed_in(app, users[role])
    response = client.get("/tong-quan/xuat.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not [
        cell.coordinate
        for cell in cells
        if isinstance(cell.value, str) and cell.value.startswith("=")
    ]
    table = workbook.worksheets[0]
    row = next(row for row in table.iter_rows(min_row=2) if row[0].value == market.code)
    assert row[1].value.startswith("'=") and row[1].value == "'" + EVIL_NAME
    assert row[1].data_type == "s"
    assert row[6].value == 2 and row[6].data_type == "n"  # numbers stay numbers
