"""A market manager prints every market of theirs in one job, on a phone: the form, the
job's page with its progress bar, and the ZIP of one PDF per market."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path


def test_manager_prints_all_their_markets_as_one_job(phone_page, sign_in, screenshot):
    page = phone_page
    sign_in(page, "quanlycho")
    page.goto("/cho/")
    page.get_by_role("link", name="In bảng mã nhiều chợ").click()
    page.wait_for_url(re.compile(r"/bang-ma/in-lo$"))
    screenshot(page, "manager-print-job-form")
    # Reprinting everything needs the box ticked: refused first, with the reason shown.
    page.get_by_label("Tất cả sạp có tài khoản (in lại cả bảng đang dán)").check()
    page.get_by_role("button", name="Bắt đầu in (cấp mã bảng mới)").click()
    assert "In lại cả bảng đang dán cần xác nhận" in page.locator("main").inner_text()
    page.get_by_label("Chỉ các sạp cần in: chưa có bảng, bảng cũ hoặc bị mất").check()
    page.get_by_role("button", name="Bắt đầu in (cấp mã bảng mới)").click()
    # Without Redis the job runs in the request: its page shows it finished.
    page.wait_for_url(re.compile(r"/bang-ma/in-lo/\d+$"))
    main = page.locator("main").inner_text()
    assert "Xong" in main and "100% số sạp đã xử lý" in main
    assert page.locator("progress").get_attribute("value") == "100"
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "manager-print-job-done")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải về (ZIP, mỗi chợ một PDF)").click()
    archive = zipfile.ZipFile(Path(download_info.value.path()))
    names = archive.namelist()
    assert names and all(name.endswith(".pdf") for name in names)
    assert archive.read(names[0]).startswith(b"%PDF")
