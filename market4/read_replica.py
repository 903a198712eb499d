"""Dashboards and exports read from a replica when ``MARKET4_DATABASE_READ_URL`` is set.

The heaviest reads (acceptance figures, weekly trends, exports, the API's statistics)
can then run on a PostgreSQL hot standby while the primary takes the writes. A request
opts in with :func:`read_from_replica` (the dashboard blueprint and the API's statistics
do, before their first query); inside it, SELECTs go to the replica and anything that
writes — a flush, an INSERT, UPDATE or DELETE statement — still goes to the primary.
Everything else (sign-in, sessions, every page that changes something) reads the primary.

A replica lags its primary by the replication delay, so a figure may miss a change made
in the last moment; the pages that show what a user has just changed do not opt in.
Without the setting there is one database and nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import Delete, Insert, Update

REPLICA = "replica"
_FLAG = "market4_read_replica"


def read_from_replica() -> None:
    """Send this request's reads to the replica, if one is configured."""
    g.setdefault(_FLAG, True)


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, choosing the replica for a replica request's reads.

    SQLAlchemy's own recipe for read/write splitting: flushes and DML go to the primary.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any):
        if (
            bind is None
            and not self._flushing
            and not isinstance(clause, Insert | Update | Delete)
            and has_app_context()
            and g.get(_FLAG)
        ):
            replica = self._db.engines.get(REPLICA)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
