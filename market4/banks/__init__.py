"""Bank directory and VietQR command-line tools (``vietqr`` group, ``banks`` command).

The logic lives in :mod:`market4.domain.banks` and :mod:`market4.domain.vietqr`;
this package only adapts it to the command line.
"""
