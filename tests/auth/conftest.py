"""Sign-in fixtures: admins of the operator organisation, each with a password."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from market4.auth import services
from market4.auth.models import Organisation, User


@pytest.fixture
def make_admin(session) -> Callable[..., User]:
    """make_admin(email, name, password) -> an active admin of the operator."""

    def make(email: str, name: str, password: str) -> User:
        operator = session.scalar(select(Organisation).where(Organisation.kind == "operator"))
        if operator is None:
            operator = Organisation(kind="operator", name="Vận hành")
            session.add(operator)
            session.flush()
        return services.create_user(
            email=email, name=name, role="admin", password=password, organisation=operator
        )

    return make
