"""Registers every feature's CLI commands on the app's ``market4`` group."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from market4.activity.cli import activity_group
    from market4.admin.cli import users_group
    from market4.api.cli import tokens_group
    from market4.areas.cli import areas_group
    from market4.banks.cli import banks_command, vietqr_group
    from market4.dashboard.cli import stats_command
    from market4.demo.cli import demo_group
    from market4.imports.cli import import_command
    from market4.placards.cli import placards_group
    from market4.placards.jobs_cli import print_jobs_group
    from market4.setup_cli import setup_command
    from market4.vendors.cli import vendors_group

    vendors_group.add_command(import_command)
    for command in (
        activity_group,
        areas_group,
        banks_command,
        demo_group,
        setup_command,
        stats_command,
        users_group,
        vietqr_group,
        placards_group,
        print_jobs_group,
        tokens_group,
        vendors_group,
    ):
        app.cli.add_command(command)
