"""Campaigns: who to call with which script, when, how fast, and what to do after each call.

One module per job:

- ``spec``: the validated campaign specification (target, windows, pacing, retries, schedule)
- ``windows``: calling windows as real intervals, across midnight and DST
- ``targets``: a target resolved to household ids
- ``tasks``: the work queue — creating, claiming (row leases), outcomes, missed check-ins
- ``manage``: creating campaigns and moving them through their states (staff CLI)
- ``results``: progress, outcome counts and per-household results for staff
- ``pacing``: calls per second (token bucket)
- ``conversation``: the seam to the dialogue runner
- ``scheduler``: the dialer loop that keeps channels full (``ivr run``)
- ``reconcile``: finishing what a crash or an Asterisk restart left in flight
"""
