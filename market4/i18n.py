"""Vietnamese first, English on request: locale choice and catalogue compilation.

Source strings are Vietnamese (what most users read); ``market4/translations/en``
holds the English catalogue. ``.mo`` files are compiled from the committed ``.po`` files
at start-up when missing or older, into the instance folder (never into the package,
which may be installed read-only), so a fresh clone or a wheel needs no build step.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, has_app_context, has_request_context, request, session

LOCALES = ("vi", "en")


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    """Mark a label for extraction; it is translated where it is shown, with ``_()``."""
    return text


TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    if not has_request_context():
        # The CLI and jobs: the product's first language unless MARKET4_CLI_LOCALE says.
        chosen = current_app.config.get("CLI_LOCALE") if has_app_context() else None
        return chosen if chosen in LOCALES else "vi"
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or "vi"


def compile_catalogues(source: Path = TRANSLATIONS, target: Path | None = None) -> Path:
    """Compile every ``<lang>/LC_MESSAGES/messages.po`` under ``source`` into ``target``
    (default: beside it) when the ``.mo`` is missing or older; returns ``target``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    target = target or source
    for po_path in source.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parent.parent.name)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        # Several workers may start at once: write aside, then swap in atomically.
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalogue)
        os.replace(partial, mo_path)
    return target


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    from market4.extensions import babel

    compiled = compile_catalogues(TRANSLATIONS, Path(app.instance_path) / "translations")
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(compiled)
    )
    app.context_processor(lambda: {"current_locale": str(get_locale() or "vi")})
