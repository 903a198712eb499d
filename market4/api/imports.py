"""``POST /api/v1/imports``: the bulk import (Excel/CSV) over the API, with a dry run.

A multipart upload: field ``file`` (.xlsx or .csv) and ``dry_run`` (true checks every
row and registers nothing). The rows are handled by ``imports.services.import_vendors``
— the same code as the web import — so the answer lists each row's outcome and errors.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from market4.api import new_blueprint
from market4.api.auth import current_user, roles_allowed
from market4.api.errors import ApiProblem
from market4.api.idempotency import HEADER_DOC, idempotent
from market4.api.schemas import ImportArgs, ImportFileSchema, ImportResultSchema
from market4.errors import FieldError, ValidationFailed
from market4.registry import scope
from market4.vocabulary import Role

blp = new_blueprint("imports", "Bulk registration from an Excel or CSV file.")

MAX_FILE_BYTES = 5 * 1024 * 1024
ALLOWED_SUFFIXES = (".xlsx", ".csv")


@blp.route("/imports", methods=["POST"])
@blp.doc(parameters=[HEADER_DOC])
@roles_allowed(Role.BANK_PARTNER, Role.ADMIN)
@idempotent
@blp.arguments(ImportArgs(), location="form", as_kwargs=True)
@blp.arguments(ImportFileSchema(), location="files", as_kwargs=True)
@blp.response(200, ImportResultSchema)
def create_import(file: Any, dry_run: bool):
    """Register every valid row of a file (or, with ``dry_run``, only check them).

    The answer has a ``summary`` (counts by outcome) and every row with its number in
    the file, its outcome and its errors; "invalid" and "duplicate" are separate outcomes.
    """
    # Imported here: the import feature is optional for the rest of the API.
    from market4.imports.services import batch_as_dict, import_vendors

    filename = file.filename or ""
    if not filename.lower().endswith(ALLOWED_SUFFIXES):
        raise ValidationFailed(
            [FieldError("file", _l("Chỉ nhận tệp .xlsx hoặc .csv."), "unsupported_file_type")]
        )
    content = file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise ApiProblem(413, "payload_too_large", "The file is larger than 5 MB.")
    user = current_user()
    bank_bin = scope.user_bank_bin(user)
    if not bank_bin:
        raise ValidationFailed(
            [FieldError("file", _l("Chỉ chi nhánh ngân hàng mới nhập tệp qua API."), "no_bank")]
        )
    batch = import_vendors(
        content,
        filename,
        bank_bin=bank_bin,
        organisation=user.organisation,
        actor=user,
        dry_run=dry_run,
        channel="api",
    )
    return {**batch_as_dict(batch), "dry_run": dry_run}
