"""The English catalogue: complete, placeholder-safe, compilable, and actually used.

UI source strings are Vietnamese; ``market4/translations/en`` holds their English. When a
test here fails because a string is missing, run ``python3 dev.py i18n`` and fill in the
new ``msgstr`` entries.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages import checkers
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from market4 import PROJECT_ROOT
from market4.i18n import TRANSLATIONS, compile_catalogues

ROOT = Path(__file__).resolve().parent.parent
ENGLISH_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
# The keywords dev.py's extraction uses: gettext's defaults plus lazy and mark-only.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
# %(name)s / %(count)d / %s / %% and str.format's {0} / {name}
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]")
BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with ENGLISH_PO.open("rb") as po_file:
        return read_po(po_file, locale="en")


def entries(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


def msgid_key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def translations(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def source_strings() -> dict[str, str]:
    """Every string the source marks for translation, as ``pybabel extract`` finds it."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        text = message if isinstance(message, str) else message[0]
        found.setdefault(text, f"{filename}:{lineno}")
    return found


def test_catalogue_is_not_empty(catalogue):
    assert len(entries(catalogue)) > 100


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [msgid_key(m) for m in entries(catalogue) if not all(translations(m))]
    fuzzy = [msgid_key(m) for m in entries(catalogue) if m.fuzzy]
    assert untranslated == [], "run `python3 dev.py i18n` and translate these"
    assert fuzzy == [], "check these entries and remove their `#, fuzzy` flag"


def test_every_source_string_is_in_the_catalogue(catalogue):
    """A string added to a template or module since the last ``dev.py i18n`` run would
    show in Vietnamese on the English UI."""
    known = {msgid_key(message) for message in entries(catalogue)}
    missing = {text: where for text, where in source_strings().items() if text not in known}
    assert missing == {}, "run `python3 dev.py i18n` and translate these"


def test_translations_keep_the_placeholders(catalogue):
    wrong = []
    for message in entries(catalogue):
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        expected_percent = sorted(PERCENT_PLACEHOLDER.findall(ids[0]))
        expected_brace = sorted(BRACE_PLACEHOLDER.findall(ids[0]))
        for string in translations(message):
            if (
                sorted(PERCENT_PLACEHOLDER.findall(string)) != expected_percent
                or sorted(BRACE_PLACEHOLDER.findall(string)) != expected_brace
            ):
                wrong.append((ids[0], string))
    assert wrong == []


def test_babel_checkers_pass(catalogue):
    """Babel's own checks: python-format placeholders and the number of plural forms."""
    problems = []
    for message in entries(catalogue):
        for checker in checkers.checkers:
            try:
                checker(catalogue, message)
            except Exception as error:  # noqa: BLE001 - TranslationError and its kin
                problems.append((msgid_key(message), str(error)))
    assert problems == []


def test_plural_entries_have_every_form(catalogue):
    for message in entries(catalogue):
        if message.pluralizable:
            assert len(translations(message)) == catalogue.num_plurals, msgid_key(message)


def test_catalogue_compiles(tmp_path, catalogue):
    target = tmp_path / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(ENGLISH_PO, target / "messages.po")
    compile_catalogues(tmp_path, tmp_path / "compiled")
    assert not (target / "messages.mo").exists()  # never beside the sources
    with (tmp_path / "compiled" / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as mo_file:
        compiled = read_mo(mo_file)
    assert {msgid_key(m) for m in entries(compiled)} == {msgid_key(m) for m in entries(catalogue)}
    assert compiled.get("Đăng nhập").string == "Sign in"


# --- the switch, end to end -----------------------------------------------------------


def test_home_and_sign_in_render_in_english_after_the_switch(client):
    response = client.post("/ngon-ngu/en", data={"next": "/dang-nhap"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dang-nhap")
    for path in ("/", "/dang-nhap"):
        page = client.get(path).get_data(as_text=True)
        assert 'lang="en"' in page, path
        assert "Sign in" in page, path
        assert "Đăng nhập" not in page, path
    sign_in_page = client.get("/dang-nhap").get_data(as_text=True)
    assert "Password" in sign_in_page and "Mật khẩu" not in sign_in_page
    assert "Tiếng Việt" in sign_in_page  # the way back


def test_english_error_messages_on_the_sign_in_form(client):
    client.post("/ngon-ngu/en", data={"next": "/"})
    page = client.post("/dang-nhap", data={"email": "", "password": ""}).get_data(as_text=True)
    assert 'lang="en"' in page
    assert not re.search(r"Vui lòng|không hợp lệ", page)


def test_switching_back_to_vietnamese(client):
    client.post("/ngon-ngu/en", data={"next": "/"})
    client.post("/ngon-ngu/vi", data={"next": "/"})
    page = client.get("/dang-nhap").get_data(as_text=True)
    assert 'lang="vi"' in page and "Đăng nhập" in page and "Sign in" not in page


def test_unknown_locale_is_refused(client):
    assert client.post("/ngon-ngu/fr", data={"next": "/"}).status_code == 404


def test_scripts_carry_no_words_of_their_own():
    """Text a script shows comes from the page (translated there), never from the .js."""
    vietnamese = re.compile(r"[À-ỹĐđ]")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted((PROJECT_ROOT / "static" / "js").glob("*.js"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if vietnamese.search(line) and not line.lstrip().startswith("//")
    ]
    assert offenders == []


def test_the_registration_script_gets_its_link_text_in_english(app, client):
    from tests import factories
    from tests.clients import sign_in_directly

    world_stall = factories.stall()
    partner = factories.user("bank_partner", org=factories.organisation(bank_bin=factories.VCB))
    sign_in_directly(client, partner)
    client.post("/ngon-ngu/en", data={"next": "/"})
    page = client.get(f"/tieu-thuong/dang-ky/{world_stall.market.code}/{world_stall.id}").get_data(
        as_text=True
    )
    assert 'data-duplicate-link-text="See the registered vendor"' in page


def test_every_form_validator_has_a_message_of_ours(app):
    """WTForms ships no Vietnamese: a validator without our message would show "This field
    is required." in the Vietnamese pages."""
    import inspect

    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    missing = []
    for form in subclasses(FlaskForm):
        if not form.__module__.startswith("market4."):
            continue
        for name, field in inspect.getmembers(form, lambda v: isinstance(v, UnboundField)):
            validators = field.kwargs.get("validators") or (
                field.args[1] if len(field.args) > 1 else []
            )
            for validator in validators or []:
                if hasattr(validator, "message") and validator.message is None:
                    kind = type(validator).__name__
                    missing.append(f"{form.__module__}.{form.__name__}.{name}: {kind}")
    assert missing == []


def test_a_form_error_reads_in_vietnamese(client):
    page = client.post("/dang-nhap", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "This field is required" not in page
    assert "Vui lòng điền mục này." in page


def test_a_service_error_is_rendered_in_the_language_of_its_reader(app):
    from flask_babel import lazy_gettext, refresh

    from market4.errors import Conflict, ValidationFailed
    from market4.registry.stalls import stall_name
    from market4.registry.validation import clean_phone

    closed = Conflict(
        lazy_gettext("%(stall)s đã đóng.", stall=stall_name("7")), code="stall_closed"
    )
    with pytest.raises(ValidationFailed) as phone:
        clean_phone("12345")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the test's app context outlives one request: forget its locale
        assert closed.message == "Stall 7 is closed."
        assert phone.value.errors[0].message == "Invalid phone number."
        assert phone.value.as_dict()["errors"][0]["message"] == "Invalid phone number."
    with app.test_request_context():
        refresh()
        assert closed.message == str(closed) == "Sạp 7 đã đóng."
        assert phone.value.errors[0].message == "Số điện thoại không hợp lệ."
    assert closed.code == "stall_closed" and phone.value.codes == {"invalid_phone"}
