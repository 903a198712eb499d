"""The browser tests' server: Werkzeug's, in a thread, closing what a dropped request left open.

Werkzeug closes a response in a ``finally`` that first drains the socket. When the browser
resets the connection just then (a page left while a file was still loading, such as the
scanner's WebAssembly), that read raises before the close, the file is left to the garbage
collector, and its ResourceWarning fails whichever test happens to be running.
"""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_RESPONSE = "market4.tests.response"


def serve_in_thread(app) -> BaseWSGIServer:
    """Start ``app`` on a free loopback port; ``server.shutdown()`` stops it."""
    server = make_server(
        "127.0.0.1", 0, _keeping_response(app), threaded=True, request_handler=_ClosingHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _keeping_response(app):
    def wsgi(environ, start_response):
        response = _ClosedOnce(app(environ, start_response))
        environ[_RESPONSE] = response
        return response

    return wsgi


class _ClosingHandler(WSGIRequestHandler):
    def connection_dropped(self, error, environ=None) -> None:
        response = (environ or {}).get(_RESPONSE)
        if response is not None:
            response.close()


class _ClosedOnce:
    """A response whose ``close`` runs once, whether Werkzeug or the handler gets there first."""

    def __init__(self, response) -> None:
        self._response = response
        self._closed = False

    def __iter__(self):
        return iter(self._response)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if hasattr(self._response, "close"):
            self._response.close()
