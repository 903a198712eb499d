"""The registry core every feature stands on.

The models of markets, stalls, vendors, their accounts and placards; the stall-state
query (open on a date, occupant, accounts, live placard, status on a date); and the
access policy deciding what a user may see and do. The core imports no feature package.
"""
