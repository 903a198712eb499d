"""The browser tests' server leaves no file open when a browser drops a request (no browser needed)."""

from __future__ import annotations

import gc
import socket
import struct
import sys
import time
import warnings

from flask import Flask, send_file

from tests.browser.live_server import serve_in_thread


def test_a_request_reset_while_the_server_drains_it_leaves_no_file_open(tmp_path, monkeypatch):
    # Small enough to sit in the socket buffers whole, so the reset lands while Werkzeug
    # drains the request after writing: the moment its own close is skipped.
    served = tmp_path / "scanner.wasm"
    served.write_bytes(b"\0" * 100_000)
    app = Flask(__name__)
    app.add_url_rule("/scanner.wasm", view_func=lambda: send_file(served))
    left_open = []
    monkeypatch.setattr(sys, "unraisablehook", lambda raised: left_open.append(raised.exc_value))

    server = serve_in_thread(app)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            for _ in range(20):
                _request_then_reset(server.server_port, "/scanner.wasm")
            time.sleep(0.5)
            gc.collect()
    finally:
        server.shutdown()

    assert left_open == []


def _request_then_reset(port: int, path: str) -> None:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    time.sleep(0.004)
    # Linger 0 makes close send a reset instead of a polite end, as a browser leaving a page.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
