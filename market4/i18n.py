"""Vietnamese first, English on request: locale choice and catalogue compilation.

Source strings are Vietnamese (what most users read); ``market4/translations/en``
holds the English catalogue. ``.mo`` files are compiled from the committed ``.po`` files
at start-up when missing or older, so a fresh clone needs no extra build step.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session

LOCALES = ("vi", "en")


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    """Mark a label for extraction; it is translated where it is shown, with ``_()``."""
    return text


TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    if not has_request_context():
        return "vi"  # the CLI and jobs: messages in the product's first language
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or "vi"


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue)


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    from market4.extensions import babel

    compile_catalogues()
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS)
    )
    app.context_processor(lambda: {"current_locale": str(get_locale() or "vi")})
