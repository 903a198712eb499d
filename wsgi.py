"""Entry point for WSGI servers: ``gunicorn wsgi:app``."""

from market4 import create_app

app = create_app()
