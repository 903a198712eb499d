"""The vendor forms: what they offer, what they hand to the services, where problems go."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from market4.errors import FieldError
from market4.registry.validation import GOODS_CATEGORIES
from market4.vendors.forms import EditForm, ListFilterForm, RegistrationForm, _national


@pytest.fixture
def form_context(app):
    with app.test_request_context(method="POST"):
        yield


def vendor(**overrides):
    values = {
        "display_name": "Nguyễn Thị Đào",
        "bank_style_name": "NGUYEN THI DAO",
        "phone_e164": "+84912345678",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def account(**overrides):
    values = {"account_number": "0012345678", "holder_name": "NGUYEN THI DAO"}
    values.update(overrides)
    return SimpleNamespace(**values)


def test_partner_form_has_no_bank_choice_and_consent_is_not_ticked(form_context):
    form = RegistrationForm(formdata=None)
    assert form.bank_bin is None and "bank_bin" not in form._fields
    assert form.consent.data is False and "checked" not in form.consent()
    assert [c[0] for c in form.goods_category.choices] == ["", *GOODS_CATEGORIES]


def test_admin_form_offers_the_banks(form_context):
    form = RegistrationForm(formdata=None, bank_choices=[("970436", "Vietcombank (970436)")])
    assert [c[0] for c in form.bank_bin.choices] == ["", "970436"]


def test_to_registration_passes_raw_values_and_the_fixed_bank(form_context):
    form = RegistrationForm(
        MultiDict(
            {
                "display_name": "Lê Văn Tám",
                "phone": "0912 345 678",
                "account_number": "0012 345",
                "consent": "y",
                "goods_category": "Rau củ",
            }
        )
    )
    stall = object()
    data = form.to_registration(stall, "970405")
    assert (data.bank_bin, data.stall, data.consent_given) == ("970405", stall, True)
    # Raw as typed: the service normalises (leading zeros kept, spaces dropped there).
    assert (data.phone, data.account_number, data.goods_category) == (
        "0912 345 678",
        "0012 345",
        "Rau củ",
    )
    assert RegistrationForm(MultiDict({})).to_registration(stall, "970405").consent_given is False


def test_overlong_input_is_refused_in_vietnamese(form_context):
    form = RegistrationForm(MultiDict({"display_name": "A" * 201}))
    assert not form.validate()
    assert form.display_name.errors == ["Dài quá 200 ký tự."]


def test_problems_go_next_to_their_fields_and_the_rest_on_top(form_context):
    form = RegistrationForm(MultiDict({}))
    form.show_problems(
        [
            FieldError("phone", "Số điện thoại mất số 0 ở đầu (Excel?) — nhập dạng văn bản."),
            FieldError("consent", "Cần có sự đồng ý."),
            FieldError("stall_code", "Cần chọn sạp của tiểu thương."),
        ]
    )
    form.show_problems([FieldError("holder_name", "Tên chủ tài khoản khác.")], as_warnings=True)
    assert form.phone.errors == ["Số điện thoại mất số 0 ở đầu (Excel?) — nhập dạng văn bản."]
    assert form.consent.errors == ["Cần có sự đồng ý."]
    assert form.top_errors == ["Cần chọn sạp của tiểu thương."]
    assert form.warnings_for("holder_name") == ["Tên chủ tài khoản khác."]
    assert not form.holder_name.errors and form.has_errors


def test_edit_form_starts_from_current_values_in_national_format(form_context):
    form = EditForm(formdata=None, vendor=vendor(), account=account())
    assert form.phone.data == "0912345678" and form.account_number.data == "0012345678"


def test_edit_form_without_an_account_has_no_account_fields(form_context):
    form = EditForm(formdata=None, vendor=vendor(), account=None)
    assert form.account_number is None and form.holder_name is None
    assert set(form.to_changes()) == {"display_name", "phone"}


def test_untouched_folded_bank_style_name_follows_the_display_name(form_context):
    form = EditForm(
        MultiDict(
            {
                "display_name": "Nguyễn Thị Hoa",
                "bank_style_name": "NGUYEN THI DAO",
                "phone": "0912345678",
            }
        ),
        vendor=vendor(),
        account=account(),
    )
    assert "bank_style_name" not in form.to_changes()  # the service refolds it


def test_typed_bank_style_name_is_sent(form_context):
    form = EditForm(
        MultiDict(
            {
                "display_name": "Nguyễn Thị Đào",
                "bank_style_name": "NGUYEN T DAO",
                "phone": "0912345678",
                "account_number": "0099 887766",
                "holder_name": "",
            }
        ),
        vendor=vendor(),
        account=account(),
    )
    changes = form.to_changes()
    assert changes["bank_style_name"] == "NGUYEN T DAO"
    assert (changes["account_number"], changes["holder_name"]) == ("0099 887766", "")


def test_list_filters_need_no_csrf_token(app):
    with app.test_request_context("/tieu-thuong/?q=dao&trang_thai=closed"):
        from flask import request

        filters = ListFilterForm(request.args)
        assert filters.validate() and filters.trang_thai.data == "closed"


@pytest.mark.parametrize(
    "stored, shown", [("+84912345678", "0912345678"), (None, ""), ("+12025550123", "+12025550123")]
)
def test_national_phone(stored, shown):
    assert _national(stored) == shown
