import json

import pytest
from click.testing import CliRunner

from market4.banks.cli import banks_command, vietqr_group
from market4.domain.vietqr import checksum, decode

CORRECTED_NAPAS_EXAMPLE = (
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F"
)


def signed(body: str) -> str:
    return f"{body}6304{checksum(body + '6304')}"


# The corrected NAPAS example as napas-qr-python emits it by default: 01=12 without an amount.
DYNAMIC_WITHOUT_AMOUNT = signed(
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN"
)
# Two departures at once: 01=11 with an amount, and a purpose with raw diacritics.
STATIC_WITH_AMOUNT_AND_DIACRITICS = signed(
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA"
    "5303704540550000"
    "5802VN"
    "62160812chuyển khoản"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_encode_prints_only_the_payload(runner):
    result = runner.invoke(
        vietqr_group,
        [
            "encode",
            "--bin",
            "970436",
            "--account",
            "0011001234567",
            "--amount",
            "50000",
            "--purpose",
            "Tiền hàng",
        ],
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
        [
            "encode",
            "--bin",
            "970415",
            "--account",
            "9704151234567890",
            "--card",
            "--name",
            "Bích Thủy",
            "--city",
            "Huế",
        ],
    )
    transfer = decode(result.stdout.strip()).transfer
    assert (transfer.service, transfer.merchant_name, transfer.merchant_city) == (
        "QRIBFTTC",
        "Bich Thuy",
        "Hue",
    )


def test_encode_truncate_flag(runner):
    args = ["encode", "--bin", "970436", "--account", "1", "--purpose", "x" * 30]
    refused = runner.invoke(vietqr_group, args)
    assert refused.exit_code == 2
    assert (
        refused.stderr
        == "error: tag 62.08: longer than 25 characters after folding to ASCII (30)\n"
    )
    assert (
        decode(runner.invoke(vietqr_group, [*args, "--truncate"]).stdout.strip()).transfer.purpose
        == "x" * 25
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--bin", "97043", "--account", "1"],
            "error: tag 38.01.00: BIN must be exactly 6 digits, not '97043'",
        ),
        (
            ["--bin", "970436", "--account", "1" * 20],
            "error: tag 38.01.01: account number longer than 19 characters",
        ),
        (
            ["--bin", "970436", "--account", "1", "--amount", "50.000"],
            "error: tag 54: amount '50.000' must be whole VND",
        ),
        (
            ["--bin", "970436", "--account", "1", "--amount", "0"],
            "error: tag 54: amount must be whole VND from 1",
        ),
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
    assert {
        key: fields[key]
        for key in ("bin", "account", "service", "initiation", "amount", "purpose", "bank")
    } == {
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
    payload = runner.invoke(
        vietqr_group, ["encode", "--bin", "123456", "--account", "1"]
    ).stdout.strip()
    assert (
        json.loads(runner.invoke(vietqr_group, ["decode", payload, "--json"]).stdout)["bank"]
        is None
    )


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
        (
            "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5",
            "error: tag 38.01: 1 stray character(s)",
        ),
        ("garbage", "error: tag 63: the payload must end with"),
    ],
)
def test_decode_invalid_payload_exits_2_with_one_line(runner, payload, message):
    result = runner.invoke(vietqr_group, ["decode", payload])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_decode_text_prints_warnings_on_stderr(runner):
    result = runner.invoke(vietqr_group, ["decode", DYNAMIC_WITHOUT_AMOUNT])
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: tag 01: a dynamic QR (01=12) should carry an amount (54); without one the payer types "
        "the amount, as for a static QR\n"
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["bin", "970403"]
    assert any(line.split() == ["initiation", "static"] for line in lines)
    assert any(line.split() == ["canonical", "False"] for line in lines)
    assert "warning" not in result.stdout


def test_decode_text_prints_one_line_per_warning(runner):
    result = runner.invoke(vietqr_group, ["decode", STATIC_WITH_AMOUNT_AND_DIACRITICS])
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert [line.split(":")[0] for line in warnings] == ["warning", "warning"]
    assert warnings[0].startswith("warning: tag 01: a static QR (01=11) should not carry an amount")
    assert warnings[1].startswith("warning: tag 62.08: contains characters outside printable ASCII")
    assert any(line.split() == ["amount", "50000"] for line in result.stdout.splitlines())
    assert any(line.split() == ["initiation", "dynamic"] for line in result.stdout.splitlines())


def test_decode_json_lists_warnings(runner):
    result = runner.invoke(vietqr_group, ["decode", STATIC_WITH_AMOUNT_AND_DIACRITICS, "--json"])
    assert result.exit_code == 0
    assert result.stderr == ""
    fields = json.loads(result.stdout)
    assert [(w["tag"], w["code"]) for w in fields["warnings"]] == [
        ("01", "static_with_amount"),
        ("62.08", "non_ascii_text"),
    ]
    assert all(set(w) == {"tag", "code", "rule"} and w["rule"] for w in fields["warnings"])
    assert (fields["amount"], fields["initiation"], fields["purpose"], fields["canonical"]) == (
        50000,
        "dynamic",
        "chuyển khoản",
        False,
    )


def test_decode_json_warnings_are_always_present(runner):
    result = runner.invoke(vietqr_group, ["decode", CORRECTED_NAPAS_EXAMPLE, "--json"])
    assert json.loads(result.stdout)["warnings"] == []
    strict = runner.invoke(vietqr_group, ["decode", CORRECTED_NAPAS_EXAMPLE, "--json", "--strict"])
    assert strict.exit_code == 0 and json.loads(strict.stdout)["warnings"] == []


@pytest.mark.parametrize("as_json", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (DYNAMIC_WITHOUT_AMOUNT, "error: tag 01: a dynamic QR (01=12) should carry an amount (54)"),
        (
            STATIC_WITH_AMOUNT_AND_DIACRITICS,
            "error: tag 01: a static QR (01=11) should not carry an amount (54)",
        ),
    ],
    ids=["dynamic-without-amount", "static-with-amount"],
)
def test_decode_strict_refuses_departures(runner, payload, message, as_json):
    result = runner.invoke(vietqr_group, ["decode", payload, "--strict", *as_json])
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
    assert all(
        line[name_column - 2 : name_column] == "  " and line[name_column] != " " for line in lines
    )


def test_banks_search_json(runner):
    result = runner.invoke(banks_command, ["--search", "loc phat", "--json"])
    rows = json.loads(result.stdout)
    assert [row["bin"] for row in rows] == ["970449"]
    assert rows[0]["short_name"] == "LPBank" and rows[0]["in_vietqr_lists"] is True


def test_banks_search_without_match(runner):
    result = runner.invoke(banks_command, ["--search", "zzzz"])
    assert result.exit_code == 1
    assert result.stderr == "no bank matches 'zzzz'\n"


def test_scan_reads_the_vietqr_code_in_a_photo(runner, tmp_path):
    """``market4 vietqr scan IMAGE``: a placard photographed (here: drawn) is read back."""
    import io

    from PIL import Image

    from market4.domain.placard_png import render_qr_png
    from market4.domain.vietqr import Transfer, encode

    payload = encode(Transfer(bin="970405", account="1234567890123"))
    # A photo is a bigger, greyer picture with the code somewhere in it.
    code = Image.open(io.BytesIO(render_qr_png(payload, module_px=6))).convert("L")
    photo = Image.new("L", (code.width + 300, code.height + 200), 200)
    photo.paste(code, (180, 90))
    path = tmp_path / "sap-12.jpg"
    photo.save(path, quality=85)

    result = runner.invoke(vietqr_group, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    assert f"payload  {payload}" in result.stdout and "1234567890123" in result.stdout
    listed = json.loads(runner.invoke(vietqr_group, ["scan", str(path), "--json"]).stdout)
    assert [item["payload"] for item in listed] == [payload]
    assert listed[0]["bin"] == "970405" and listed[0]["bank"] == "Agribank"

    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    refused = runner.invoke(vietqr_group, ["scan", str(blank)])
    assert refused.exit_code == 2 and "no QR code found" in refused.output
    not_an_image = tmp_path / "note.txt"
    not_an_image.write_text("hello")
    refused = runner.invoke(vietqr_group, ["scan", str(not_an_image)])
    assert refused.exit_code == 2 and "note.txt" in refused.output
