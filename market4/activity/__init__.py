"""Banks' monthly reports of QR payments: through the API, a CSV upload or the CLI.

Each report says, for one account and month, whether it received QR payments and how
many (a band, never an amount). The reports and the rollup behind the "paid by QR"
figures are in :mod:`market4.registry.activity`; this feature reads, checks and writes
them (:mod:`.services`), and gives bank partners the upload page (:mod:`.views`) and the
operator ``market4 activity import`` (:mod:`.cli`).
"""
