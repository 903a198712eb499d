import json

import pytest
from click.testing import CliRunner

from market4.banks.cli import banks_command, vietqr_group
from market4.domain.vietqr import decode

CORRECTED_NAPAS_EXAMPLE = (
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_encode_prints_only_the_payload(runner):
    result = runner.invoke(
        vietqr_group,
        ["encode", "--bin", "970436", "--account", "0011001234567", "--amount", "50000", "--purpose", "Tiền hàng"],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    payload = result.stdout.strip()
    assert result.stdout == payload + "\n"
    transfer = decode(payload).transfer
    assert (transfer.amount, transfer.purpose) == (50000, "Tien hang")


def test_encode_card_name_city(runner):
    result = runner.invoke(
        vietqr_group,
        ["encode", "--bin", "970415", "--account", "9704151234567890", "--card", "--name", "Bích Thủy", "--city", "Huế"],
    )
    transfer = decode(result.stdout.strip()).transfer
    assert (transfer.service, transfer.merchant_name, transfer.merchant_city) == ("QRIBFTTC", "Bich Thuy", "Hue")


def test_encode_truncate_flag(runner):
    args = ["encode", "--bin", "970436", "--account", "1", "--purpose", "x" * 30]
    refused = runner.invoke(vietqr_group, args)
    assert refused.exit_code == 2
    assert refused.stderr == "error: tag 62.08: longer than 25 characters after folding to ASCII (30)\n"
    assert decode(runner.invoke(vietqr_group, [*args, "--truncate"]).stdout.strip()).transfer.purpose == "x" * 25


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bin", "97043", "--account", "1"], "error: tag 38.01.00: BIN must be exactly 6 digits, not '97043'"),
        (["--bin", "970436", "--account", "1" * 20], "error: tag 38.01.01: account number longer than 19 characters"),
        (["--bin", "970436", "--account", "1", "--amount", "50.000"], "error: tag 54: amount '50.000' must be whole VND"),
        (["--bin", "970436", "--account", "1", "--amount", "0"], "error: tag 54: amount must be whole VND from 1"),
    ],
)
def test_encode_invalid_input_exits_2_with_one_line(runner, args, message):
    result = runner.invoke(vietqr_group, ["encode", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_encode_warns_about_a_bin_outside_the_directory(runner):
    result = runner.invoke(vietqr_group, ["encode", "--bin", "123456", "--account", "1"])
    assert result.exit_code == 0
    assert result.stderr == "warning: BIN 123456 is not in the bank directory\n"
    assert decode(result.stdout.strip()).transfer.bin == "123456"


def test_decode_json(runner):
    result = runner.invoke(vietqr_group, ["decode", CORRECTED_NAPAS_EXAMPLE, "--json"])
    assert result.exit_code == 0
    fields = json.loads(result.stdout)
    assert {key: fields[key] for key in ("bin", "account", "service", "initiation", "amount", "purpose", "bank")} == {
        "bin": "970403",
        "account": "0011012345678",
        "service": "QRIBFTTA",
        "initiation": "static",
        "amount": None,
        "purpose": None,
        "bank": "Sacombank",
    }
    assert fields["canonical"] is True


def test_decode_unknown_bin_has_null_bank(runner):
    payload = runner.invoke(vietqr_group, ["encode", "--bin", "123456", "--account", "1"]).stdout.strip()
    assert json.loads(runner.invoke(vietqr_group, ["decode", payload, "--json"]).stdout)["bank"] is None


def test_decode_text(runner):
    result = runner.invoke(vietqr_group, ["decode", CORRECTED_NAPAS_EXAMPLE])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["bin", "970403"]
    assert any(line.split() == ["bank", "Sacombank"] for line in lines)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (CORRECTED_NAPAS_EXAMPLE[:-4] + "F4E5", "error: tag 63: CRC mismatch"),
        ("00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5",
         "error: tag 38.01: 1 stray character(s)"),
        ("garbage", "error: tag 63: the payload must end with"),
    ],
)
def test_decode_invalid_payload_exits_2_with_one_line(runner, payload, message):
    result = runner.invoke(vietqr_group, ["decode", payload])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_banks_table_is_aligned(runner):
    result = runner.invoke(banks_command, [])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["BIN", "CODE", "SHORT"]
    assert len(lines) == 1 + 72
    name_column = lines[0].index("NAME", lines[0].index("STATUS"))
    assert all(line[name_column - 2 : name_column] == "  " and line[name_column] != " " for line in lines)


def test_banks_search_json(runner):
    result = runner.invoke(banks_command, ["--search", "loc phat", "--json"])
    rows = json.loads(result.stdout)
    assert [row["bin"] for row in rows] == ["970449"]
    assert rows[0]["short_name"] == "LPBank" and rows[0]["in_vietqr_lists"] is True


def test_banks_search_without_match(runner):
    result = runner.invoke(banks_command, ["--search", "zzzz"])
    assert result.exit_code == 1
    assert result.stderr == "no bank matches 'zzzz'\n"
