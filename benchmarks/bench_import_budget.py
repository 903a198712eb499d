"""XLSX import budget benchmark: crafted workbooks, and real ones, before and after.

    .venv/bin/python -m benchmarks.bench_import_budget [--runs 3] [--baseline-timeout 120] [--check]
    python3 dev.py bench import_budget

Each file is read in a fresh interpreter, once by market4's reader
(``read_vendor_file``) and once by the baseline, the reader before the import budget:
refuse when the zip *declares* more than 200 MB, then ``openpyxl.load_workbook(...,
read_only=True, data_only=True)`` and every row of the first sheet through the same row
builder. A child reports its wall time (``time.perf_counter``) and its peak memory: the
peak resident size (``VmHWM``, reset through ``/proc/self/clear_refs`` once the
imports are done and the file is loaded) less the resident size at that moment. A
baseline that runs past ``--baseline-timeout`` is killed and reported as ">= N s", with
the peak memory it had reached by then.

Files:
- ``2M shared strings``: as in the security report (an 87 KB upload there),
  2,000,000 ``<si><t>a</t></si>`` in ``xl/sharedStrings.xml``: 34 MB of XML;
- ``200,001 distinct strings``: just over the count cap, with ordinary compression;
- ``16,000 columns``: a header and 20 rows as wide as that;
- ``150,000 cell formats``: ``xl/styles.xml`` past the cap for parts read whole;
- ``20,000 rows (openpyxl)``: the import benchmark's rows, as openpyxl writes them;
- ``20,000 rows (Excel layout)``: the same rows with shared strings, as Excel lays them out.

Targets (security issue): every crafted file refused in under 1 s and 50 MB; the two
real files read to the same rows, in at most 1.15x the baseline's time (best of
``--runs``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REFUSE_S = 1.0
REFUSE_MB = 50
REAL_RATIO = 1.15


# --- files -----------------------------------------------------------------------------


def column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook(sheet: bytes, strings: list[bytes] | None = None, styles: str | None = None) -> bytes:
    """A minimal XLSX, part by part (``strings``: pieces of the shared-strings part)."""
    overrides = f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
    overrides += (
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPE}.worksheet+xml"/>'
    )
    if strings is not None:
        overrides += (
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPE}.sharedStrings+xml"/>'
        )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
            '<sheet name="Tiểu thương" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if styles is not None:
        parts["xl/styles.xml"] = styles
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        if strings is not None:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                part.write(f'<sst xmlns="{MAIN}">'.encode())
                for piece in strings:
                    part.write(piece)
                part.write(b"</sst>")
    return buffer.getvalue()


def sheet_xml(rows: list[list[object]], shared: dict[str, int] | None = None) -> bytes:
    """Rows of text (inline, or indexes into ``shared``) and numbers; with a dimension."""
    width = max(len(row) for row in rows)
    out = [f'<worksheet xmlns="{MAIN}"><dimension ref="A1:{column(width)}{len(rows)}"/><sheetData>']
    for number, row in enumerate(rows, start=1):
        out.append(f'<row r="{number}">')
        for index, value in enumerate(row, start=1):
            ref = f"{column(index)}{number}"
            if value is None or value == "":
                continue
            if isinstance(value, int | float):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif shared is not None:
                out.append(f'<c r="{ref}" t="s"><v>{shared[value]}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


def crafted_files() -> dict[str, bytes]:
    from benchmarks.bench_import import HEADER

    header = [list(HEADER)]
    one_row = header + [["BENCH", "Sạp 1", "Nguyễn Thị Đào", "0912345678", "", "1903123456789"]]
    wide = header + [[f"x{n}" for n in range(16_000)] for _ in range(20)]
    formats = "".join(f'<xf numFmtId="{n % 164}" fontId="0" xfId="0"/>' for n in range(150_000))
    styles = (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        f'<borders count="1"><border/></borders><cellXfs count="150000">{formats}</cellXfs>'
        "</styleSheet>"
    )
    distinct = [
        "".join(f"<si><t>{n}</t></si>" for n in range(start, min(200_001, start + 10_000))).encode()
        for start in range(0, 200_001, 10_000)
    ]
    return {
        "2M shared strings": workbook(sheet_xml(one_row), [b"<si><t>a</t></si>" * 1_000] * 2_000),
        "200,001 distinct strings": workbook(sheet_xml(one_row), distinct),
        "16,000 columns": workbook(sheet_xml(wide)),
        "150,000 cell formats": workbook(sheet_xml(one_row), styles=styles),
    }


def real_files() -> dict[str, bytes]:
    from benchmarks.bench_import import HEADER, as_xlsx, make_rows

    rows = make_rows(20_000)
    texts = sorted({value for row in rows for value in row if value} | set(HEADER))
    shared = {text: index for index, text in enumerate(texts)}
    strings = ["".join(f"<si><t>{escape(text)}</t></si>" for text in texts).encode()]
    return {
        "20,000 rows (openpyxl)": as_xlsx(rows),
        "20,000 rows (Excel layout)": workbook(sheet_xml([list(HEADER), *rows], shared), strings),
    }


# --- one reading, in a fresh interpreter -----------------------------------------------------


def baseline_reader(content: bytes):
    """The reader before the import budget (market4/imports/reading.py, 2026-12-02)."""
    import openpyxl

    from market4.imports.reading import _build, _refuse

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > 200 * 1024 * 1024:
            raise _refuse("file_too_large", "Tệp Excel quá lớn khi giải nén.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - as the old reader
        raise _refuse("damaged_xlsx", "Tệp Excel bị hỏng.") from None
    try:
        sheet = book.worksheets[0]
        numbered = (
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _build(numbered, "xlsx", typed=True)
    finally:
        book.close()


def child(reader: str, path: str) -> None:
    import warnings

    import openpyxl  # noqa: F401 - imported before the memory baseline is taken

    from market4.imports.reading import ImportFileError, read_vendor_file

    warnings.simplefilter("ignore")  # openpyxl's warnings about odd files, as in production
    content = Path(path).read_bytes()
    read = baseline_reader if reader == "baseline" else (lambda c: read_vendor_file(c, "x.xlsx"))
    before = _reset_peak_kb()
    print(json.dumps({"baseline_kb": before}), flush=True)
    started = time.perf_counter()
    try:
        sheet = read(content)
        result = f"read {len(sheet.rows)} rows"
    except ImportFileError as refused:
        result = f"refused {refused.code}"
    seconds = time.perf_counter() - started
    peak = _status_kb(os.getpid(), "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "mb": (peak - before) / 1024, "result": result}))


def _reset_peak_kb() -> int:
    """Reset this process's peak RSS to its current RSS (Linux), and return it in KiB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kb(os.getpid(), "VmRSS")
    except OSError:  # not Linux: the peak so far is the baseline
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(reader: str, path: Path, timeout: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_import_budget", "--child", reader, str(path)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        high_water = _status_kb(process.pid, "VmHWM")
        process.kill()
        output, _ = process.communicate()
        before = json.loads(output.splitlines()[0])["baseline_kb"] if output else 0
        return {
            "seconds": timeout,
            "mb": (high_water - before) / 1024,
            "result": "killed",
            "killed": True,
        }
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    if process.returncode or len(lines) < 2:
        raise SystemExit(f"{reader} on {path.name} failed (exit {process.returncode})")
    return lines[-1] | {"killed": False}


def shown(measured: dict) -> tuple[str, str]:
    at_least = ">= " if measured["killed"] else ""
    return f"{at_least}{measured['seconds']:.3f} s", f"{at_least}{measured['mb']:.1f} MB"


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per real file; the best counts")
    parser.add_argument("--baseline-timeout", type=float, default=120.0)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0

    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}; baseline killed after {args.baseline_timeout:.0f} s\n"
    )
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'crafted file':<26}{'zip':>9}  {'reader':<9}{'time':>12}{'memory':>11}  result")
        for name, content in crafted_files().items():
            path = Path(tmp) / "crafted.xlsx"
            path.write_bytes(content)
            for reader in ("market4", "baseline"):
                timeout = 60.0 if reader == "market4" else args.baseline_timeout
                measured = measure(reader, path, timeout)
                seconds, memory = shown(measured)
                label = (
                    f"{name:<26}{len(content) / 1024:>6.0f} KB" if reader == "market4" else " " * 35
                )
                verdict = ""
                if reader == "market4":
                    ok = (
                        measured["result"].startswith("refused")
                        and measured["seconds"] < REFUSE_S
                        and measured["mb"] < REFUSE_MB
                    )
                    failed |= not ok
                    verdict = "  PASS" if ok else "  FAIL"
                print(
                    f"{label}  {reader:<9}{seconds:>12}{memory:>11}  {measured['result']}{verdict}",
                    flush=True,
                )

        print(f"\n{'real file':<28}{'zip':>9}  {'reader':<9}{'best time':>10}{'memory':>9}  result")
        for name, content in real_files().items():
            path = Path(tmp) / "real.xlsx"
            path.write_bytes(content)
            best = {}
            for _ in range(args.runs):  # interleaved, so both see the same machine
                for reader in ("market4", "baseline"):
                    measured = measure(reader, path, args.baseline_timeout)
                    if reader not in best or measured["seconds"] < best[reader]["seconds"]:
                        best[reader] = measured
            for reader in ("market4", "baseline"):
                measured = best[reader]
                label = (
                    f"{name:<28}{len(content) / 1024:>6.0f} KB" if reader == "market4" else " " * 37
                )
                print(
                    f"{label}  {reader:<9}{measured['seconds']:>8.2f} s{measured['mb']:>6.0f} MB"
                    f"  {measured['result']}"
                )
            ratio = best["market4"]["seconds"] / best["baseline"]["seconds"]
            same = best["market4"]["result"] == best["baseline"]["result"]
            ok = same and ratio <= REAL_RATIO
            failed |= not ok
            print(
                f"{'':<37}  market4 / baseline: {ratio:.2f}x time, same rows: {same}  "
                f"{'PASS' if ok else 'FAIL'}",
                flush=True,
            )
    print(
        f"\ntargets: crafted files refused in < {REFUSE_S:.0f} s and < {REFUSE_MB} MB; real files "
        f"read alike in <= {REAL_RATIO:.2f}x the baseline's time: {'FAIL' if failed else 'PASS'}"
    )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
