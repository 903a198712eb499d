"""The upload form: the file, the bank (fixed for a bank branch, chosen by an admin) and consent."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired

from market4.banks.models import Bank
from market4.extensions import db


class UploadForm(FlaskForm):
    file = FileField(
        _l("Tệp danh sách tiểu thương (.xlsx hoặc .csv)"),
        validators=[FileRequired(_l("Hãy chọn tệp cần nhập."))],
    )
    bank_bin = SelectField(_l("Ngân hàng của các tài khoản trong tệp"), validate_choice=True)
    # Law 91/2025: explicit, never pre-ticked.
    consent = BooleanField(
        _l("Tôi xác nhận các tiểu thương trong tệp đã đồng ý cho market4 xử lý thông tin của họ."),
        validators=[DataRequired(_l("Cần xác nhận sự đồng ý của tiểu thương trước khi nhập."))],
    )

    def __init__(self, *args: Any, fixed_bank: Bank | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_bank is not None:
            self.bank_bin.choices = [
                (fixed_bank.bin, f"{fixed_bank.short_name} ({fixed_bank.bin})")
            ]
            self.bank_bin.data = fixed_bank.bin
            self.bank_bin.render_kw = {"disabled": True}
        else:
            banks = db.session.scalars(select(Bank).order_by(Bank.short_name))
            self.bank_bin.choices = [("", _l("— Chọn ngân hàng —"))] + [
                (bank.bin, f"{bank.short_name} ({bank.bin})") for bank in banks
            ]
            self.bank_bin.validators = [DataRequired(_l("Hãy chọn ngân hàng."))]


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the commit button."""
