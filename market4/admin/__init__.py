"""The admin area: organisations, accounts and their scopes, banks, markets, the audit log.

``views`` holds the blueprint (``/quan-tri``, admins only); ``services`` and
``market_services`` change data (flush, audit, never commit); ``queries`` and
``audit_log`` read; ``areas`` finds administrative units by name or key.
"""
