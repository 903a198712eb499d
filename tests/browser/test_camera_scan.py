"""Scanning a posted code with the phone's camera (static/js/scan.js), at phone size.

Chromium's fake camera plays a video made from the app's own rendering of a stall's
placard (the phone PNG of ``printing.png_for_stall``, on a grey wall), so the page reads
a real placard through ``getUserMedia`` and submits it to the stall's code check, whose
verdict the test reads. Each video needs its own Chromium (the fake camera's file is a
launch argument); they share the session's Playwright through ``browser.browser_type``.

Debian's Chromium on Linux has no ``BarcodeDetector``, so there the default path is
already the vendored zxing-wasm reader; one test also removes ``BarcodeDetector`` before
the page loads, so the vendored reader is proven wherever the tests run.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageFilter
from sqlalchemy import select

from market4.extensions import db
from market4.placards import printing
from market4.placards.services import live_placard
from market4.registry.markets import Market, Stall, VerificationVisit
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, go_offline

MARKET = "CD-DEM-NGAIGIAO"  # the manager's night market: every stall has a live placard
FRAME = (960, 720)  # a 4:3 camera frame; Y4M 4:2:0 wants even sides
WALL = (128, 124, 118)
WASM = "/static/vendor/zxing-wasm/zxing_reader.wasm"

# Runs before any page script: collect CSP violations (in sessionStorage, so those of the
# scanning page survive its submission), and keep every stream the page opens so a test
# can see whether the camera was really switched off.
WATCH = """
document.addEventListener("securitypolicyviolation", function (event) {
  const seen = JSON.parse(sessionStorage.getItem("cspViolations") || "[]");
  seen.push(location.pathname + ": " + event.violatedDirective + " " + (event.blockedURI || "inline"));
  sessionStorage.setItem("cspViolations", JSON.stringify(seen));
});
window.__streams = [];
if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = function (constraints) {
    return open(constraints).then(function (stream) { window.__streams.push(stream); return stream; });
  };
}
"""
WITHOUT_BARCODE_DETECTOR = "delete window.BarcodeDetector;"
CSP_VIOLATIONS = "JSON.parse(sessionStorage.getItem('cspViolations') || '[]')"
CAMERA_IS_OFF = """
window.__streams.length > 0 &&
window.__streams.every(s => s.getTracks().every(t => t.readyState === "ended"))
"""


@dataclass(frozen=True)
class DemoStall:
    id: int
    code: str
    payload: str
    placard_png: bytes


@pytest.fixture(scope="module")
def stalls(live_app) -> tuple[DemoStall, DemoStall]:
    """Two stalls of the night market with live placards: the one checked, and another."""
    with live_app.app_context():
        market = db.session.scalar(select(Market).where(Market.code == MARKET))
        found = []
        for stall in db.session.scalars(
            select(Stall).where(Stall.market_id == market.id).order_by(Stall.id)
        ):
            placard = live_placard(stall)
            if placard is not None:
                found.append(
                    DemoStall(stall.id, stall.code, placard.payload, printing.png_for_stall(stall))
                )
            if len(found) == 2:
                return found[0], found[1]
    raise AssertionError(f"{MARKET} has fewer than two stalls with a live placard")


def write_y4m(picture: Image.Image, path: Path, frames: int = 3) -> Path:
    """A Y4M video (4:2:0) of ``picture`` standing still, for Chromium's fake camera."""
    width, height = picture.size
    assert width % 2 == 0 and height % 2 == 0
    luma, blue, red = picture.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = [luma.tobytes(), *(p.resize(half, Image.BILINEAR).tobytes() for p in (blue, red))]
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n")
            for plane in planes:
                video.write(plane)
    return path


def camera_view(placard_png: bytes) -> Image.Image:
    """What a phone held at arm's length sees: the placard, smaller, a little askew and
    soft, on a grey wall."""
    placard = Image.open(io.BytesIO(placard_png)).convert("RGB")
    placard.thumbnail((FRAME[0] - 120, FRAME[1] - 60))
    wall = Image.new("RGB", FRAME, WALL)
    wall.paste(placard, ((FRAME[0] - placard.width) // 2, (FRAME[1] - placard.height) // 2))
    askew = wall.rotate(4, resample=Image.BICUBIC, fillcolor=WALL)
    return askew.filter(ImageFilter.GaussianBlur(0.8))


@pytest.fixture(scope="module")
def camera_browsers(browser, tmp_path_factory):
    """camera_browsers(picture, name) -> a Chromium whose camera films ``picture`` (None:
    Chromium's own moving test pattern, which holds no QR code) and which allows the
    camera without asking (``allow=False``: it asks, and headless Chromium's answer is
    no). Reuses the session's Playwright; closed after the module."""
    launched = []
    folder = tmp_path_factory.mktemp("camera")

    def launch(picture: Image.Image | None, name: str, *, allow: bool = True):
        args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"]
        if allow:
            args.append("--use-fake-ui-for-media-stream")
        if picture is not None:
            video = write_y4m(picture, folder / f"{name}.y4m")
            args.append(f"--use-file-for-fake-video-capture={video}")
        launched.append(browser.browser_type.launch(executable_path=CHROMIUM, args=args))
        return launched[-1]

    yield launch
    for chromium in launched:
        chromium.close()


def phone(chromium, live_server, *init_scripts: str, service_workers: str = "allow"):
    context = chromium.new_context(
        service_workers=service_workers,
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    for script in (WATCH, *init_scripts):
        context.add_init_script(script)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def record_requests(page) -> list[str]:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    return requests


def wait_until(page, expression: str, timeout_s: float = 20) -> None:
    """Poll ``expression`` in the page (wait_for_function would need eval, which the
    CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(100)


# How many scans or outcomes wait in the phone's queue (static/js/offline.js).
WAITING_ON_PHONE = """
new Promise((done) => {
  const opening = indexedDB.open("market4-offline", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("visits", {keyPath: "key"});
  opening.onsuccess = () => {
    const all = opening.result.transaction("visits").objectStore("visits").getAll();
    all.onsuccess = () => done(all.result.filter((v) => v.state === "pending").length);
  };
})
"""


def checks_at(live_app, stall_id: int) -> list[str]:
    """The outcomes of the stall's visits, oldest first."""
    with live_app.app_context():
        return list(
            db.session.scalars(
                select(VerificationVisit.outcome)
                .where(VerificationVisit.stall_id == stall_id)
                .order_by(VerificationVisit.id)
            )
        )


def check_url(stall: DemoStall) -> str:
    return f"/bang-ma/sap/{stall.id}/kiem-tra"


def scan(page) -> None:
    page.get_by_role("button", name="Quét bằng camera").click()
    page.wait_for_url(re.compile(r"/kiem-tra#ket-qua$"))


def verdict(page) -> str:
    return page.locator("#ket-qua").inner_text()


def test_the_stalls_own_placard_scans_as_a_match(
    camera_browsers, stalls, live_server, sign_in, screenshot
):
    own, _ = stalls
    page = phone(camera_browsers(camera_view(own.placard_png), "own"), live_server)
    requests = record_requests(page)
    sign_in(page, "quanlycho")
    page.goto(check_url(own))
    native = page.evaluate(
        "'BarcodeDetector' in window ? BarcodeDetector.getSupportedFormats()"
        ".then(f => f.includes('qr_code')) : false"
    )
    scan(page)
    text = verdict(page)
    assert f"KHỚP với {own.code}" in text and "Đã ghi nhận lần kiểm tra" in text
    # The check received exactly the placard's text, as if pasted.
    assert page.get_by_label("Nội dung mã QR").input_value() == own.payload
    # The browser's own detector when it reads QR codes, else the vendored reader.
    assert (f"{live_server}{WASM}" in requests) is not native
    assert page.evaluate(CSP_VIOLATIONS) == []
    screenshot(page, "camera-scan-verdict-phone")
    page.context.close()


def test_the_vendored_reader_decodes_where_there_is_no_barcode_detector(
    camera_browsers, stalls, live_server, sign_in
):
    own, _ = stalls
    page = phone(
        camera_browsers(camera_view(own.placard_png), "own-wasm"),
        live_server,
        WITHOUT_BARCODE_DETECTOR,
    )
    requests = record_requests(page)
    sign_in(page, "quanlycho")
    page.goto(check_url(own))
    assert page.evaluate("'BarcodeDetector' in window") is False
    # Loaded lazily: nothing of the reader until the camera is used.
    assert not [url for url in requests if "zxing" in url]
    scan(page)
    assert f"KHỚP với {own.code}" in verdict(page)
    # The reader and its .wasm came from this site, under the page's CSP; nothing went
    # anywhere else.
    assert f"{live_server}{WASM}" in requests
    assert {urlsplit(url).netloc for url in requests} == {urlsplit(live_server).netloc}
    assert page.evaluate(CSP_VIOLATIONS) == []
    page.context.close()


def test_a_walk_step_scans_straight_into_the_stalls_check(
    camera_browsers, stalls, live_server, sign_in
):
    own, _ = stalls
    page = phone(camera_browsers(camera_view(own.placard_png), "own-walk"), live_server)
    sign_in(page, "quanlycho")
    page.goto(f"/cho/{MARKET}/di-kiem-tra/{own.id}?ds=all")
    scan(page)
    assert urlsplit(page.url).path == check_url(own)
    assert f"KHỚP với {own.code}" in verdict(page)
    assert page.evaluate(CSP_VIOLATIONS) == []
    # The phone kept the scan while it was posted; the verdict page says it was recorded,
    # so nothing waits to be sent again.
    assert page.evaluate(WAITING_ON_PHONE) == 0
    page.context.close()


def test_a_scan_without_a_network_waits_on_the_phone_and_its_verdict_comes_once_sent(
    camera_browsers, stalls, live_server, sign_in, screenshot, live_app
):
    """In an aisle without signal the camera still reads (the reader was kept on the
    phone), the scan waits on the phone with a first word, and the walk goes on; once the
    network is back the server's verdict arrives and a swapped code is listed plainly."""
    own, other = stalls
    page = phone(camera_browsers(camera_view(other.placard_png), "other-offline"), live_server)
    bar = page.locator("#offline-status")
    sign_in(page, "quanlycho")
    page.goto(f"/cho/{MARKET}/di-kiem-tra?ds=all")
    page.goto(f"/cho/{MARKET}/di-kiem-tra/{own.id}?ds=all")
    following = page.get_attribute("#walk-scan-form", "data-offline-next")
    kept = [following, "/static/vendor/zxing-wasm/zxing-reader.js", WASM]
    wait_until(
        page,
        f"Promise.all({kept!r}.map((u) => caches.match(u))).then((c) => c.every(Boolean))",
    )
    before = checks_at(live_app, own.id)

    go_offline(page)
    page.get_by_role("button", name="Quét bằng camera").click()
    page.wait_for_url(re.compile(re.escape(following)))
    said = page.locator("main").inner_text()
    assert f"Mã vừa quét tại {own.code} · Chợ đêm Ngãi Giao KHÔNG trùng bảng mã" in said
    bar.get_by_text("1 lượt kiểm tra chưa gửi").wait_for()
    assert checks_at(live_app, own.id) == before
    screenshot(page, "camera-scan-offline-waiting")

    page.context.set_offline(False)
    wrong = bar.get_by_role("region", name="Mã quét khi mất mạng không khớp sạp")
    wrong.get_by_text("Mã của một sạp khác (bị tráo)").wait_for()
    assert f"{own.code} · Chợ đêm Ngãi Giao · Quét mã QR" in wrong.inner_text()
    assert "trả tiền cho người khác" in wrong.inner_text()
    assert "chưa gửi" not in bar.inner_text()
    assert checks_at(live_app, own.id) == [*before, "code_other_stall"]
    screenshot(page, "camera-scan-offline-verdict")
    page.reload()  # listed until removed, and never sent twice
    wrong.get_by_role("link", name="Kiểm tra lại").click()
    page.wait_for_url(re.compile(re.escape(check_url(own))))
    assert checks_at(live_app, own.id) == [*before, "code_other_stall"]
    # The stall's own code puts it back for the tests that come after.
    page.get_by_label("Nội dung mã QR").fill(own.payload)
    page.get_by_role("button", name="Kiểm tra", exact=True).click()
    assert f"KHỚP với {own.code}" in verdict(page)
    page.locator("#offline-status").get_by_role(
        "button", name=f"Xoá lượt kiểm tra {own.code} · Chợ đêm Ngãi Giao khỏi điện thoại này"
    ).click()
    wait_until(page, "document.getElementById('offline-status').hidden")
    page.context.close()


def test_another_stalls_placard_is_caught_as_swapped(
    camera_browsers, stalls, live_server, sign_in, screenshot
):
    own, other = stalls
    page = phone(camera_browsers(camera_view(other.placard_png), "other"), live_server)
    sign_in(page, "quanlycho")
    page.goto(check_url(own))
    scan(page)
    text = verdict(page)
    assert "MÃ CỦA SẠP KHÁC — bị tráo" in text
    assert f"Mã này là bảng mã của {other.code} – Chợ đêm Ngãi Giao" in text
    screenshot(page, "camera-scan-swapped-phone")
    # The swap took the stall out of acceptance; its own code, checked again, puts it back
    # for the tests that come after.
    page.get_by_label("Nội dung mã QR").fill(own.payload)
    page.get_by_role("button", name="Kiểm tra", exact=True).click()
    assert f"KHỚP với {own.code}" in verdict(page)
    page.context.close()


def test_cancel_switches_the_camera_off_and_nothing_is_checked(
    camera_browsers, stalls, live_server, sign_in, screenshot
):
    own, _ = stalls
    page = phone(camera_browsers(None, "pattern"), live_server)
    sign_in(page, "quanlycho")
    page.goto(check_url(own))
    page.get_by_role("button", name="Quét bằng camera").click()
    video = page.locator("[data-scanner] video")
    wait_until(
        page,
        "document.querySelector('[data-scanner]').dataset.state === 'scanning'"
        " && document.querySelector('[data-scanner] video').videoWidth > 0",
    )
    assert video.is_visible()
    assert page.get_by_role("status").filter(has_text="Đưa mã QR").is_visible()
    screenshot(page, "camera-scan-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Hủy quét").click()
    assert page.evaluate(CAMERA_IS_OFF)
    assert not video.is_visible()
    assert page.get_by_role("button", name="Quét bằng camera").is_enabled()
    assert urlsplit(page.url).fragment == "" and page.locator("#ket-qua").count() == 0
    page.context.close()


def test_a_reader_that_cannot_load_turns_the_camera_off_and_says_so(
    camera_browsers, stalls, live_server, sign_in
):
    own, _ = stalls
    # The .wasm does not arrive (a dropped connection) and the phone kept no copy of it
    # (no service worker: it would have fetched the reader ahead, out of page.route's
    # reach): no reader, so no scanning.
    page = phone(
        camera_browsers(None, "pattern-offline"),
        live_server,
        WITHOUT_BARCODE_DETECTOR,
        service_workers="block",
    )
    page.route("**/zxing_reader.wasm", lambda route: route.abort())
    sign_in(page, "quanlycho")
    page.goto(check_url(own))
    page.get_by_role("button", name="Quét bằng camera").click()
    alert = page.locator("[data-scan-error]")
    alert.wait_for(state="visible")
    assert alert.inner_text().startswith("Trình duyệt này không quét được mã bằng camera.")
    assert page.evaluate(CAMERA_IS_OFF)
    assert not page.locator("[data-scanner] video").is_visible()
    assert page.get_by_label("Hoặc chụp ảnh mã QR").is_visible()
    page.context.close()


def test_a_refused_camera_permission_is_explained_and_the_upload_remains(
    camera_browsers, stalls, live_server, sign_in
):
    own, _ = stalls
    page = phone(camera_browsers(None, "refused", allow=False), live_server)
    sign_in(page, "quanlycho")
    page.goto(check_url(own))
    page.get_by_role("button", name="Quét bằng camera").click()
    alert = page.locator("[data-scan-error]")
    alert.wait_for(state="visible")
    assert alert.inner_text() == (
        "Chưa được phép dùng camera: hãy cho phép trình duyệt dùng camera rồi bấm lại."
        " Bạn vẫn có thể chụp ảnh mã rồi gửi bằng ô “Hoặc chụp ảnh mã QR” bên dưới."
    )
    assert page.get_by_label("Hoặc chụp ảnh mã QR").is_visible()
    assert page.get_by_role("button", name="Quét bằng camera").is_enabled()
    page.context.close()


def test_without_a_camera_the_page_says_why_and_keeps_the_photo_upload(phone_page, stalls, sign_in):
    own, _ = stalls
    # The shared browser has no camera at all, fake or real (NotFoundError).
    sign_in(phone_page, "quanlycho")
    phone_page.goto(check_url(own))
    phone_page.get_by_role("button", name="Quét bằng camera").click()
    alert = phone_page.locator("[data-scan-error]")
    alert.wait_for(state="visible")
    assert alert.inner_text() == (
        "Không mở được camera của máy (không có camera, hoặc camera đang được ứng dụng"
        " khác dùng). Bạn vẫn có thể chụp ảnh mã rồi gửi bằng ô “Hoặc chụp ảnh mã QR”"
        " bên dưới."
    )
    assert phone_page.get_by_label("Hoặc chụp ảnh mã QR").is_visible()
    assert phone_page.get_by_role("button", name="Quét bằng camera").is_enabled()
    assert not phone_page.locator("[data-scanner] video").is_visible()


def test_without_javascript_the_check_page_is_as_before(browser, live_server, stalls, sign_in):
    own, _ = stalls
    context = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        sign_in(page, "quanlycho")
        page.goto(check_url(own))
        assert not page.get_by_role("button", name="Quét bằng camera").is_visible()
        assert page.get_by_label("Nội dung mã QR").is_visible()
        assert page.get_by_label("Hoặc chụp ảnh mã QR").is_visible()
        page.get_by_label("Nội dung mã QR").fill(own.payload)
        page.get_by_role("button", name="Kiểm tra", exact=True).click()
        assert f"KHỚP với {own.code}" in verdict(page)
    finally:
        context.close()
