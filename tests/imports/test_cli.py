"""``market4 vendors import FILE --bank BIN``: summary, errors, exit codes, report."""

from __future__ import annotations

from sqlalchemy import func, select

from market4.registry.imports import ImportBatch
from market4.registry.vendors import Vendor
from tests import factories as f
from tests.imports.conftest import to_csv


def vendors(session) -> int:
    return session.scalar(select(func.count()).select_from(Vendor))


def write(tmp_path, rows, name="ds.csv"):
    path = tmp_path / name
    path.write_bytes(to_csv(rows).encode("utf-8"))
    return str(path)


def test_valid_file_is_written_and_exits_0(runner, world, session, tmp_path):
    result = runner.invoke(
        args=[
            "vendors",
            "import",
            write(tmp_path, [world.row(0), world.row(1)]),
            "--bank",
            f.AGRIBANK,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "tạo mới 2" in result.output and "Đã ghi" in result.output
    assert vendors(session) == 2


def test_invalid_rows_are_listed_valid_rows_written_exit_1(runner, world, session, tmp_path):
    path = write(tmp_path, [world.row(0), world.row(1, phone="912345678")])
    result = runner.invoke(
        args=["vendors", "import", path, "--bank", f.AGRIBANK, "--org", str(world.org.id)]
    )
    assert result.exit_code == 1
    assert "dòng 3, cột Số điện thoại: Số điện thoại mất số 0" in result.output
    assert vendors(session) == 1


def test_strict_writes_nothing_when_a_row_is_bad(runner, world, session, tmp_path):
    path = write(tmp_path, [world.row(0), world.row(1, account="9.70E+15")])
    result = runner.invoke(args=["vendors", "import", path, "--bank", f.AGRIBANK, "--strict"])
    assert result.exit_code == 1 and "--strict" in result.output
    assert vendors(session) == 0
    assert session.scalars(select(ImportBatch)).one().status == "previewed"


def test_dry_run_and_report(runner, world, session, tmp_path):
    report = tmp_path / "ket-qua.xlsx"
    result = runner.invoke(
        args=[
            "vendors",
            "import",
            write(tmp_path, [world.row(0)]),
            "--bank",
            f.AGRIBANK,
            "--dry-run",
            "--report",
            str(report),
        ]
    )
    assert result.exit_code == 0 and "--dry-run" in result.output
    assert vendors(session) == 0
    assert report.read_bytes().startswith(b"PK")


def test_unreadable_file_or_wrong_bank_exit_2_with_one_line(runner, world, session, tmp_path):
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4 ...")
    result = runner.invoke(args=["vendors", "import", str(pdf), "--bank", f.AGRIBANK])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    result = runner.invoke(
        args=[
            "vendors",
            "import",
            write(tmp_path, [world.row(0)]),
            "--bank",
            f.VCB,
            "--org",
            str(world.org.id),
        ]
    )
    assert result.exit_code == 2
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_reimport_exits_0_and_creates_nothing(runner, world, session, tmp_path):
    path = write(tmp_path, [world.row(0)])
    assert runner.invoke(args=["vendors", "import", path, "--bank", f.AGRIBANK]).exit_code == 0
    result = runner.invoke(args=["vendors", "import", path, "--bank", f.AGRIBANK])
    assert result.exit_code == 0 and "không đổi 1" in result.output
    assert vendors(session) == 1


def test_strict_writes_a_clean_file(runner, world, session, tmp_path):
    result = runner.invoke(
        args=[
            "vendors",
            "import",
            write(tmp_path, [world.row(0)]),
            "--bank",
            f.AGRIBANK,
            "--strict",
        ]
    )
    assert result.exit_code == 0 and "Đã ghi" in result.output
    assert vendors(session) == 1
