"""The upload form of the monthly QR payment report, and the confirm button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(
        _l("Tệp báo cáo nhận tiền qua QR (.csv hoặc .xlsx)"),
        validators=[FileRequired(_l("Hãy chọn tệp cần tải lên."))],
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the "write" button."""
