"""Admin pages for duplicated vendor records: the candidate list, a preview, the merge.

Registered on the admin blueprint (``admin.views`` imports this module at its end).
The merge itself is ``vendors.merging.merge_vendors``; this view parses, calls it,
commits once and redirects to the kept vendor's page.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market4 import unit_of_work
from market4.admin import queries
from market4.admin.forms import ConfirmForm
from market4.admin.views import STALE_FORM, bp
from market4.auth.access import role_required
from market4.errors import DomainError
from market4.extensions import db
from market4.formatting import vn_phone
from market4.parsing import int_arg
from market4.registry.ordering import sorted_stalls
from market4.registry.vendors import Vendor
from market4.vendors import merging
from market4.vocabulary import Role


@bp.get("/tieu-thuong-trung")
@role_required(Role.ADMIN)
def vendor_duplicates():
    groups = merging.duplicate_groups()
    return render_template(
        "admin/vendor_merges.html",
        page=queries.page_of(groups, request.args.get("page", 1, type=int_arg) or 1),
        likely=sum(1 for group in groups if group.likely),
        national_phone=vn_phone,
    )


@bp.route("/tieu-thuong/<int:keep_id>/gop/<int:duplicate_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def vendor_merge(keep_id: int, duplicate_id: int):
    keep = db.get_or_404(Vendor, keep_id)
    duplicate = db.get_or_404(Vendor, duplicate_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(str(STALE_FORM), "error")
            return redirect(
                url_for("admin.vendor_merge", keep_id=keep_id, duplicate_id=duplicate_id)
            )
        try:
            result = merging.merge_vendors(keep, duplicate, actor=current_user, channel="web")
        except DomainError as error:
            unit_of_work.discard()
            return _preview_page(keep, duplicate, form, refusal=error, status=error.status)
        flash(
            _(
                "Đã gộp hồ sơ #%(duplicate)s vào hồ sơ của %(name)s.",
                duplicate=duplicate.id,
                name=keep.display_name,
            ),
            "success",
        )
        if result.superseded:
            stalls = sorted_stalls({placard.stall for placard in result.superseded})
            codes = ", ".join(stall.code for stall in stalls)
            flash(
                _(
                    "Bảng mã QR cũ của sạp %(codes)s không còn đúng — cần in lại và dán bảng mới.",
                    codes=codes,
                ),
                "warning",
            )
        return redirect(url_for("vendors.show", vendor_id=keep.id))
    try:
        preview = merging.merge_preview(keep, duplicate)
    except DomainError as error:
        return _preview_page(keep, duplicate, form, refusal=error)
    return _preview_page(keep, duplicate, form, preview=preview)


def _preview_page(
    keep: Vendor,
    duplicate: Vendor,
    form: ConfirmForm,
    *,
    preview: merging.MergePreview | None = None,
    refusal: DomainError | None = None,
    status: int = 200,
):
    return render_template(
        "admin/vendor_merge.html",
        keep=keep,
        duplicate=duplicate,
        form=form,
        preview=preview,
        refusal=refusal,
        national_phone=vn_phone,
    ), status
