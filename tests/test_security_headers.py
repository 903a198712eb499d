"""Headers on every response, no-store on everything but static files, request size limits."""

from __future__ import annotations

import random
import secrets

import pytest

from market4 import create_app
from market4.auth.services import create_user
from market4.imports.reading import MAX_BYTES as IMPORT_MAX_BYTES
from tests import factories
from tests.clients import PASSWORD, signed_in


def admin_client(app):
    admin = create_user(
        email="admin@headers.market4.vn", name="Admin", role="admin", password=PASSWORD
    )
    factories.db.session.commit()
    return signed_in(app, admin)


def test_every_page_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    # HSTS only where the site is HTTPS-only: production.
    assert "Strict-Transport-Security" not in response.headers


def test_errors_and_api_answers_carry_them_too(client):
    for path in ("/khong-co-trang-nay", "/api/v1/vendors"):
        response = client.get(path)
        assert response.status_code in (401, 404)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_scripts_are_never_inline_not_even_on_the_api_docs(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "<script>" not in page and "<style>" not in page


def test_only_the_pages_that_scan_may_compile_webassembly(app, session):
    factories.banks()
    stall = factories.stall()
    factories.registered_vendor(stall)
    code = stall.market.code
    client = admin_client(app)
    # The stall's code check and a walk step carry the camera scanner (static/js/scan.js),
    # whose fallback reader is WebAssembly: compiling it is all they may do beyond 'self'.
    for path in (f"/bang-ma/sap/{stall.id}/kiem-tra", f"/cho/{code}/di-kiem-tra/{stall.id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "js/scan.js" in response.get_data(as_text=True), path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self' 'wasm-unsafe-eval';" in csp, path
        assert "'unsafe-eval'" not in csp and "unsafe-inline" not in csp, path
    for path in ("/", f"/cho/{code}/sap/{stall.id}", "/bang-ma/kiem-tra", "/api/v1/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "wasm-unsafe-eval" not in response.headers["Content-Security-Policy"], path


def test_the_vendored_qr_reader_is_served_from_the_app(client):
    # WebAssembly.instantiateStreaming insists on application/wasm.
    with client.get("/static/vendor/zxing-wasm/zxing_reader.wasm") as wasm:
        assert wasm.status_code == 200 and wasm.mimetype == "application/wasm"
        assert wasm.get_data()[:4] == b"\0asm"
    with client.get("/static/vendor/zxing-wasm/zxing-reader.js") as script:
        assert script.status_code == 200 and b"ZXingWASM" in script.get_data()


def test_production_sends_hsts(tmp_path):
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
        }
    )
    response = app.test_client().get("/", base_url="https://market4.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_pages_exports_and_api_with_account_numbers_are_no_store(app, session):
    factories.banks()
    stall = factories.stall()
    factories.registered_vendor(stall)
    client = admin_client(app)
    for path in ("/tieu-thuong/", "/tong-quan/xuat.csv", "/tong-quan/xuat.xlsx", "/tong-quan/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Expires" not in response.headers


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/market4.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_a_huge_anonymous_post_is_refused_before_it_is_read(client):
    class Unreadable:
        """A body that fails the test if anything reads it."""

        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    response = client.post(
        "/dang-nhap",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": Unreadable(), "CONTENT_LENGTH": str(30 * 1024 * 1024)},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "quá lớn" in page and "tối đa 1 MB" in page


def test_the_api_answers_413_as_a_problem(app, session, client):
    from market4.api import tokens

    factories.banks()
    partner = factories.user("bank_partner", factories.organisation(bank_bin=factories.VCB))
    secret = tokens.create_token(partner, "test", actor=None, channel="cli").secret
    session.commit()
    response = client.post(
        "/api/v1/vendors",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["status"] == 413


@pytest.mark.parametrize("content", ["text", "binary"])
def test_the_import_upload_still_takes_a_full_size_file(app, session, content):
    size = IMPORT_MAX_BYTES - 1024
    factories.banks()
    client = admin_client(app)
    # Encoded here: the test client would spool a big upload to a temporary file it never
    # closes.
    boundary = "market4-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        # Binary (an .xlsx is a zip) has line breaks and dashes where the parser looks for
        # the boundary, and so keeps more than a chunk in memory now and then.
        + (b"a" * size if content == "text" else random.Random(4).randbytes(size))
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/nhap-excel/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    # Refused for its content (not a vendor list), not for its size.
    assert response.status_code != 413
    assert "quá lớn" not in response.get_data(as_text=True)
