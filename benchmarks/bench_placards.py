"""Placard rendering benchmark: a district's 1,420 placards as one 4-per-A4 sheet.

    .venv/bin/python -m benchmarks.bench_placards [--count N] [--runs R] [--skip-baseline] [--check]
    .venv/bin/python -m benchmarks.bench_placards --cli-path [--runs R] [--skip-baseline] [--check]

Compares market4's renderer (vector QR paths from zxing-cpp matrices, shared
artwork as a PDF form, one text object per placard) with the straightforward
method (qrcode -> PNG -> canvas.drawImage, one drawString per text, reportlab
defaults), same page layout otherwise. Both use the renderer's defaults: EC
level Q (``PRINT_EC_LEVEL``) and the full account number, grouped in fours. Also times the two QR encoders and a
single placard, and measures memory with tracemalloc and as the peak RSS of
a fresh interpreter (the target is process memory).

The spec source is pluggable: ``run(specs_factory)`` takes any zero-argument
callable returning a sequence of PlacardSpec in print order, e.g. one that
loads the demo district through the CLI's service path. ``factory_path``
("module:function") names the same factory for the fresh-process memory
measurement, which cannot receive a callable.

``--cli-path`` measures what ``market4 placards render --all --include-current
--confirm-superseding N -o FILE`` does (a full reprint of the district): the demo
district is seeded into a temporary SQLite database (migrations + ``demo.seed``), the
209 demo vendors without a placard account get one so that all 1,420 stalls print, and
each run calls ``placards.printing.print_all`` exactly as the CLI does on a fresh copy
of that database, then commits. It reports the phases (choosing stalls and planning
placards, rendering, recording them in the registry, commit) and the total, the
straightforward method on the same specs, the file size, the peak RSS of a fresh
process doing the whole CLI path, and one single-stall print through the same path.
"""

from __future__ import annotations

import argparse
import binascii
import importlib
import io
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date

from market4.domain import fonts
from market4.domain.placard_layout import (
    PRINT_EC_LEVEL,
    PlacardSpec,
    geometry_for_layout,
    placard_origins,
    stall_sort_key,
)
from market4.domain.placard_sheets import render_placard, render_placards
from market4.domain.qr_matrix import encode_qr

TARGETS = {"sheet_s": 1.5, "speedup": 10.0, "size_mb": 3.0, "rss_mb": 150.0, "single_ms": 20.0}

_SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
_MIDDLE = "Thị Văn Hữu Đức Minh Ngọc Thanh Bích Kim Quang Thu Xuân".split()
_GIVEN = "Đào Thủy Hoa Lan Hùng Dũng Tuấn Hương Phương Nga Hải Long Sơn Yến Trang Mai Cường Lộc Ánh Nhung".split()
_BANKS = [  # (BIN, short name, brand line) from market4/data/banks.csv
    ("970436", "Vietcombank", "Ngân hàng TMCP Ngoại Thương Việt Nam"),
    ("970415", "VietinBank", "Ngân hàng TMCP Công thương Việt Nam"),
    ("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    ("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    ("970422", "MBBank", "Ngân hàng TMCP Quân đội"),
    ("970407", "Techcombank", "Ngân hàng TMCP Kỹ thương Việt Nam"),
    ("970403", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín"),
    ("970416", "ACB", "Ngân hàng TMCP Á Châu"),
]
_MARKETS = [
    "Chợ Ngãi Giao",
    "Chợ Kim Long",
    "Chợ Bình Giã",
    "Chợ Đá Bạc",
    "Chợ Hòa Long",
    "Chợ Phước Bửu",
]
_GOODS = [
    "Rau củ",
    "Trái cây",
    "Thịt",
    "Thủy hải sản",
    "Tạp hóa",
    "Quần áo",
    "Ăn uống",
    "Hoa",
    None,
]
_STALL_KINDS = ["Sạp", "Sạp", "Sạp", "Ki-ốt", "Quầy"]


def _bank_style(name: str) -> str:
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in folded if not unicodedata.combining(c)).upper()


def _payload(bin_code: str, account: str) -> str:
    def tlv(tag: int, value: str) -> str:
        return f"{tag:02d}{len(value):02d}{value}"

    merchant = (
        tlv(0, "A000000727") + tlv(1, tlv(0, bin_code) + tlv(1, account)) + tlv(2, "QRIBFTTA")
    )
    body = "000201010211" + tlv(38, merchant) + "53037045802VN6304"
    return body + f"{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"


def synthetic_specs(count: int = 1420, seed: int = 2026) -> list[PlacardSpec]:
    """A synthetic district: six markets, zones, rows, realistic names and banks, print order."""
    rng = random.Random(seed)
    specs = []
    for i in range(count):
        name = f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
        bin_code, bank, brand = rng.choice(_BANKS)
        account = str(rng.randrange(10**9, 10 ** rng.choice([10, 12, 13, 14])))
        zone, row = f"Khu {'ABCD'[i % 4]}", f"Dãy {1 + (i // 4) % 12}"
        specs.append(
            PlacardSpec(
                payload=_payload(bin_code, account),
                market_name=_MARKETS[i % len(_MARKETS)],
                stall_code=f"{rng.choice(_STALL_KINDS)} {1 + i // 48}",
                vendor_display_name=name,
                bank_short_name=bank,
                bank_brand_line=brand,
                holder_name=_bank_style(name),
                account_number=account,
                serial=f"P-{i + 1:06d}",
                version=1 + i % 3,
                printed_on=date(2026, 11, 23),
                zone=zone,
                row=row,
                goods_category=rng.choice(_GOODS),
            )
        )
    specs.sort(key=lambda s: (s.market_name, stall_sort_key(s.zone, s.row, s.stall_code)))
    return specs


def straightforward_render(
    specs: Sequence[PlacardSpec], layout: str = "a4x4", cover_page: bool = True
) -> bytes:
    """The baseline: qrcode -> PNG -> drawImage, drawString per text, reportlab defaults."""
    import qrcode
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    from market4.domain.placard_layout import (
        LAYOUTS,
        PAYMENT_MARK,
        display_account_number,
        format_date_vn,
        warning_text,
    )
    from market4.domain.placard_sheets import _draw_cover_pages

    fonts.register_pdf_fonts()
    sheet, g = LAYOUTS[layout], geometry_for_layout(layout)
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=sheet.page_size, initialFontName=fonts.REGULAR)
    if cover_page:
        _draw_cover_pages(
            canvas,
            specs,
            layout=layout,
            per_page=len(placard_origins(layout)),
            title=None,
            unmasked_digits=4,
            text_cache={},
        )
        canvas.setPageSize(sheet.page_size)
    origins = placard_origins(layout)
    for i, spec in enumerate(specs):
        x0, y0 = origins[i % len(origins)]
        png = io.BytesIO()
        qrcode.make(spec.payload, border=4, error_correction=qrcode.constants.ERROR_CORRECT_Q).save(
            png
        )
        png.seek(0)
        qx, qy, side = g.qr_box
        canvas.drawImage(ImageReader(png), x0 + qx, y0 + qy, side, side)
        canvas.roundRect(
            x0 + g.frame_inset,
            y0 + g.frame_inset,
            g.width - 2 * g.frame_inset,
            g.height - 2 * g.frame_inset,
            8,
        )
        texts = [
            ("market", spec.market_name, fonts.BOLD),
            ("stall", spec.stall_code, fonts.EXTRABOLD),
            ("vendor", spec.vendor_display_name, fonts.SEMIBOLD),
            ("holder", spec.holder_name, fonts.BOLD),
            ("bank", spec.bank_short_name, fonts.SEMIBOLD),
            ("account", "STK " + display_account_number(spec.account_number), fonts.BOLD),
            ("brand", spec.bank_brand_line, fonts.REGULAR),
            ("warning1", warning_text(spec.holder_name), fonts.SEMIBOLD),
            ("footer", f"{spec.serial} · {format_date_vn(spec.printed_on)}", fonts.REGULAR),
            ("cta", "Quét mã VietQR để thanh toán", fonts.BOLD),
            ("mark", PAYMENT_MARK, fonts.BOLD),
        ]
        for slot_name, text, font in texts:
            slot = g.slots[slot_name]
            canvas.setFont(font, slot.size)
            canvas.drawCentredString(x0 + g.centre_x, y0 + slot.y, text)
        if i % len(origins) == len(origins) - 1 or i == len(specs) - 1:
            canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _child_rss(factory_path: str, count: int) -> tuple[float, float]:
    """Peak resident memory (MB) of a fresh interpreter: after imports, and after one sheet.

    Reads VmHWM from /proc (reset by exec) where available: on Linux
    ru_maxrss survives fork+exec, so a child of this already-large process
    would report the parent's size instead of its own.
    """
    code = (
        "import resource, sys, importlib\n"
        "def peak_kib():\n"
        "    try:\n"
        "        for line in open('/proc/self/status'):\n"
        "            if line.startswith('VmHWM:'): return int(line.split()[1])\n"
        "    except OSError: pass\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "from market4.domain.placard_sheets import render_placards\n"
        "module, name = sys.argv[1].split(':')\n"
        "factory = getattr(importlib.import_module(module), name)\n"
        "base = peak_kib()\n"
        "specs = factory(int(sys.argv[2])) if sys.argv[2] != '0' else factory()\n"
        "render_placards(specs, layout='a4x4', cover_page=True)\n"
        "print(base, peak_kib())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, factory_path, str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1]) / 1024


def run(
    specs_factory: Callable[[], Sequence[PlacardSpec]] = synthetic_specs,
    *,
    runs: int = 5,
    baseline: bool = True,
    factory_path: str | None = "benchmarks.bench_placards:synthetic_specs",
    count_arg: int = 0,
) -> dict:
    """Run every measurement, print a report with PASS/FAIL per target, return the numbers."""
    t0 = time.perf_counter()
    specs = list(specs_factory())
    load_s = time.perf_counter() - t0
    n = len(specs)
    render_placards(
        specs[:8], layout="a4x4", cover_page=True
    )  # warm-up: font registration, imports
    results: dict = {"placards": n, "load_s": load_s}

    payloads = [spec.payload for spec in specs]
    for encoder in ("zxing", "qrcode"):
        sample = payloads if encoder == "zxing" else payloads[:200]
        t = time.perf_counter()
        for payload in sample:
            encode_qr(payload, PRINT_EC_LEVEL, encoder=encoder)
        results[f"encode_{encoder}_ms"] = (time.perf_counter() - t) / len(sample) * 1000

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        pdf = render_placards(specs, layout="a4x4", cover_page=True)
        times.append(time.perf_counter() - t)
    results.update(
        sheet_s=min(times), sheet_median_s=statistics.median(times), size_mb=len(pdf) / 1e6
    )

    tracemalloc.start()
    render_placards(specs, layout="a4x4", cover_page=True)
    results["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    if factory_path:
        results["rss_base_mb"], results["rss_mb"] = _child_rss(factory_path, count_arg)

    single = []
    for spec in specs[:50]:
        t = time.perf_counter()
        render_placard(spec, layout="a6")
        single.append(time.perf_counter() - t)
    results["single_ms"] = statistics.median(single) * 1000

    if baseline:
        t = time.perf_counter()
        slow = straightforward_render(specs)
        results.update(baseline_s=time.perf_counter() - t, baseline_size_mb=len(slow) / 1e6)
        results["speedup"] = results["baseline_s"] / results["sheet_s"]
    _report(results)
    return results


def failed_targets(r: dict) -> list[str]:
    """Names of the targets this result misses (only those that were measured)."""
    checks = {
        "sheet_s": r["sheet_s"] <= TARGETS["sheet_s"],
        "size_mb": r["size_mb"] < TARGETS["size_mb"],
        "single_ms": r["single_ms"] < TARGETS["single_ms"],
        "rss_mb": "rss_mb" not in r or r["rss_mb"] < TARGETS["rss_mb"],
        "speedup": "speedup" not in r or r["speedup"] >= TARGETS["speedup"],
    }
    return [name for name, ok in checks.items() if not ok]


def _report(r: dict) -> None:
    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"placards: {r['placards']} (spec source {r['load_s']:.3f} s)")
    print(
        f"QR encoder at EC {PRINT_EC_LEVEL}: zxing-cpp {r['encode_zxing_ms']:.3f} ms/code, qrcode (byte mode) "
        f"{r['encode_qrcode_ms']:.2f} ms/code"
    )
    print(
        f"a4x4 sheet + cover: best {r['sheet_s']:.3f} s, median {r['sheet_median_s']:.3f} s, "
        f"{r['placards'] / r['sheet_s']:.0f} placards/s, {r['size_mb']:.2f} MB "
        f"[{verdict(r['sheet_s'] <= TARGETS['sheet_s'])} <= {TARGETS['sheet_s']} s] "
        f"[{verdict(r['size_mb'] < TARGETS['size_mb'])} < {TARGETS['size_mb']} MB]"
    )
    print(f"memory: tracemalloc peak {r['tracemalloc_peak_mb']:.1f} MB", end="")
    if "rss_mb" in r:
        print(
            f"; fresh process peak RSS (VmHWM) {r['rss_mb']:.1f} MB (after imports {r['rss_base_mb']:.1f} MB) "
            f"[{verdict(r['rss_mb'] < TARGETS['rss_mb'])} < {TARGETS['rss_mb']} MB]"
        )
    else:
        print()
    print(
        f"single a6 placard: median {r['single_ms']:.2f} ms [{verdict(r['single_ms'] < TARGETS['single_ms'])} "
        f"< {TARGETS['single_ms']} ms]"
    )
    if "baseline_s" in r:
        print(
            f"straightforward (qrcode -> PNG -> drawImage): {r['baseline_s']:.2f} s, "
            f"{r['placards'] / r['baseline_s']:.0f} placards/s, {r['baseline_size_mb']:.2f} MB; speed-up "
            f"{r['speedup']:.1f}x [{verdict(r['speedup'] >= TARGETS['speedup'])} >= {TARGETS['speedup']}x]"
        )


# ---------------------------------------------------------------- the CLI's code path

CLI_OPTIONS = dict(
    layout="a4x4", actor=None, channel="cli", cover_page=True, only_outdated=False, ec_level="Q"
)  # what `market4 placards render --all --include-current --confirm-superseding N` passes


def posted_to_confirm() -> int:
    """N for --confirm-superseding: the district's posted placards a full reprint ends."""
    from market4.placards.printing import select_stalls, stalls_with_placard_accounts

    return select_stalls(stalls_with_placard_accounts(), only_outdated=False).posted_superseded


def _demo_app(path):
    from market4 import create_app

    return create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{path}"})


def seed_demo_database(path) -> int:
    """Migrate and seed the demo district into a new SQLite file; returns its stall count."""
    from sqlalchemy import func, select

    from market4.database_setup import upgrade_schema
    from market4.demo.seed import seed
    from market4.domain.text import bank_style_name
    from market4.extensions import db
    from market4.registry.markets import Stall
    from market4.registry.vendors import PaymentAccount, Vendor

    app = _demo_app(path)
    with app.app_context():
        upgrade_schema()
        seed()
        # Vendors registered without a placard account get one (Agribank, a 13-digit
        # number as Agribank issues), so that every one of the district's stalls is printed.
        has_account = select(PaymentAccount.vendor_id).where(
            PaymentAccount.is_on_placard.is_(True), PaymentAccount.status == "active"
        )
        for vendor in db.session.scalars(select(Vendor).where(Vendor.id.not_in(has_account))):
            db.session.add(
                PaymentAccount(
                    vendor=vendor,
                    bank_bin="970405",
                    account_number=f"710{vendor.id:010d}",
                    holder_name=bank_style_name(vendor.display_name),
                    is_on_placard=True,
                )
            )
        db.session.commit()
        stalls = db.session.scalar(select(func.count(Stall.id)))
        db.engine.dispose()
    return stalls


def cli_path_once(template, work) -> tuple[dict, list[PlacardSpec]]:
    """One `render --all` on a fresh copy of *template*: phase timings, PDF size, the specs."""
    import shutil

    from market4.extensions import db
    from market4.placards.printing import print_all, spec_for

    shutil.copyfile(template, work)
    app = _demo_app(work)
    with app.app_context():
        posted = posted_to_confirm()  # the person's confirmation, before the run
        t = time.perf_counter()
        result = print_all(confirm_superseding=posted, **CLI_OPTIONS)
        before_commit = time.perf_counter()
        db.session.commit()
        done = time.perf_counter()
        specs = [spec_for(p.stall, p.payment_account, p) for p in result.placards]
        db.engine.dispose()
    timings = dict(
        result.timings,
        commit=done - before_commit,
        total=done - t,
        placards=len(result.placards),
        pages=result.pages,
        size_mb=len(result.pdf) / 1e6,
    )
    return timings, specs


def _cli_path_child_rss(template, work) -> tuple[float, float]:
    """Peak RSS (VmHWM, MB) of a fresh interpreter running the whole CLI path once."""
    code = (
        "import shutil, sys\n"
        "def peak_kib():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'): return int(line.split()[1])\n"
        "from benchmarks.bench_placards import _demo_app, CLI_OPTIONS, posted_to_confirm\n"
        "from market4.extensions import db\n"
        "from market4.placards.printing import print_all\n"
        "shutil.copyfile(sys.argv[1], sys.argv[2])\n"
        "app = _demo_app(sys.argv[2])\n"
        "base = peak_kib()\n"
        "with app.app_context():\n"
        "    result = print_all(confirm_superseding=posted_to_confirm(), **CLI_OPTIONS)\n"
        "    db.session.commit()\n"
        "print(base, peak_kib(), len(result.placards))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(template), str(work)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1]) / 1024


def _single_stall_ms(template, work, samples: int = 20) -> float:
    """Median ms to print one stall (a6) through print_stalls + commit, as `--stall` does."""
    import shutil

    from sqlalchemy import select

    from market4.extensions import db
    from market4.markets.services import stalls_in_order
    from market4.placards.printing import print_stalls, select_stalls
    from market4.registry.markets import Market

    shutil.copyfile(template, work)
    app = _demo_app(work)
    times = []
    with app.app_context():
        market = db.session.scalar(select(Market).where(Market.code == "CD-NGAIGIAO"))
        stalls = stalls_in_order(market)[: samples + 1]
        for stall in stalls:
            posted = select_stalls(
                [stall], only_outdated=False
            ).posted_superseded  # the confirmation
            t = time.perf_counter()
            print_stalls(
                [stall],
                layout="a6",
                actor=None,
                channel="cli",
                cover_page=False,
                confirm_superseding=posted,
            )
            db.session.commit()
            times.append(time.perf_counter() - t)
        db.engine.dispose()
    return statistics.median(times[1:]) * 1000  # the first includes the a6 geometry and imports


def run_cli_path(*, runs: int = 5, baseline: bool = True) -> dict:
    """Seed the demo district, then time `market4 placards render --all`'s code path."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="market4-bench-") as tmp:
        template, work = os.path.join(tmp, "demo.db"), os.path.join(tmp, "work.db")
        t = time.perf_counter()
        stalls = seed_demo_database(template)
        seed_s = time.perf_counter() - t
        cold, specs = cli_path_once(template, work)  # first run in the process: fonts, imports
        measured = [cli_path_once(template, work)[0] for _ in range(runs)]
        best = min(measured, key=lambda m: m["total"])
        r = {
            "stalls": stalls,
            "seed_s": seed_s,
            "cold": cold,
            "best": best,
            "median_total": statistics.median(m["total"] for m in measured),
            "median_render": statistics.median(m["render"] for m in measured),
        }
        r["rss_base_mb"], r["rss_mb"] = _cli_path_child_rss(template, work)
        r["single_ms"] = _single_stall_ms(template, work)
        r["single_render_ms"] = statistics.median(
            _time_ms(lambda s=s: render_placard(s, layout="a6")) for s in specs[:50]
        )
        if baseline:
            t = time.perf_counter()
            slow = straightforward_render(specs)
            r.update(baseline_s=time.perf_counter() - t, baseline_size_mb=len(slow) / 1e6)
    r.update(sheet_s=best["total"], size_mb=best["size_mb"], placards=best["placards"])
    if baseline:
        r["speedup"] = r["baseline_s"] / r["sheet_s"]
    _report_cli_path(r)
    return r


def _time_ms(action: Callable[[], object]) -> float:
    t = time.perf_counter()
    action()
    return (time.perf_counter() - t) * 1000


def _report_cli_path(r: dict) -> None:
    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    b, c = r["best"], r["cold"]
    print(
        f"demo district: {r['stalls']} stalls, seeded in {r['seed_s']:.1f} s; `placards render --all` path, "
        f"a4x4 + cover: {b['placards']} placards, {b['pages']} pages"
    )
    print(
        f"cold first run: {c['total']:.3f} s (plan {c['plan']:.3f}, render {c['render']:.3f}, "
        f"record {c['record']:.3f}, commit {c['commit']:.3f})"
    )
    print(
        f"best warm run: {b['total']:.3f} s = choose stalls + plan placards {b['plan']:.3f} s + render "
        f"{b['render']:.3f} s + record (insert, supersede, audit) {b['record']:.3f} s + commit {b['commit']:.3f} s; "
        f"median total {r['median_total']:.3f} s, median render {r['median_render']:.3f} s "
        f"[{verdict(r['sheet_s'] <= TARGETS['sheet_s'])} <= {TARGETS['sheet_s']} s]"
    )
    print(
        f"file: {r['size_mb']:.2f} MB [{verdict(r['size_mb'] < TARGETS['size_mb'])} < {TARGETS['size_mb']} MB]"
    )
    print(
        f"fresh process running the whole path: peak RSS (VmHWM) {r['rss_mb']:.1f} MB (after imports and app "
        f"{r['rss_base_mb']:.1f} MB) [{verdict(r['rss_mb'] < TARGETS['rss_mb'])} < {TARGETS['rss_mb']} MB]"
    )
    print(
        f"single stall a6: print_stalls + commit median {r['single_ms']:.2f} ms, render only "
        f"{r['single_render_ms']:.2f} ms [{verdict(r['single_ms'] < TARGETS['single_ms'])} < "
        f"{TARGETS['single_ms']} ms]"
    )
    if "baseline_s" in r:
        print(
            f"straightforward (qrcode -> PNG -> drawImage) on the same specs: {r['baseline_s']:.2f} s, "
            f"{r['baseline_size_mb']:.2f} MB; speed-up of the whole CLI path {r['speedup']:.1f}x "
            f"[{verdict(r['speedup'] >= TARGETS['speedup'])} >= {TARGETS['speedup']}x]"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1420)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--factory",
        default="benchmarks.bench_placards:synthetic_specs",
        help="module:function returning PlacardSpecs; called with --count if it is not 0",
    )
    parser.add_argument(
        "--cli-path",
        action="store_true",
        help="seed the demo district and time `market4 placards render --all`'s code path",
    )
    args = parser.parse_args(argv)
    if args.cli_path:
        results = run_cli_path(runs=args.runs, baseline=not args.skip_baseline)
        if args.check and failed_targets(results):
            sys.exit(1)
        return
    module, name = args.factory.split(":")
    factory = getattr(importlib.import_module(module), name)
    results = run(
        lambda: factory(args.count) if args.count else factory(),
        runs=args.runs,
        baseline=not args.skip_baseline,
        factory_path=args.factory,
        count_arg=args.count,
    )
    if args.check and failed_targets(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
