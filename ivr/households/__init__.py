"""Household data services: one module per job.

- ``places``: street → committee → building → unit, found or created by name; the join to them
- ``status``: colour changes, each one kept in the history (``set_status``)
- ``flags``: the staff worklist (``raise_flag``, ``resolve_flag``), keeping ``flagged`` true to it
- ``dnc``, ``dnc_file``: the do-not-call list, by canonical number, and its file import
- ``optout``: a resident asking not to be called again
- ``overview``: what the map shows (counts by colour, households by building)
- ``lookup``: finding and loading households for staff
- ``staff``: staff accounts, argon2 passwords, ``authenticate`` for the report view's login
- import of a household list, in the order it happens: ``table_file`` (CSV/XLSX, encodings),
  ``columns`` (headers → fields), ``rows`` (checking a row), ``stored`` (what the database
  holds, how a row differs), ``merge`` (the bulk write), ``importer`` (the whole, with its
  merge rule); ``problems`` says where each problem is; ``bulk`` and ``membership`` are the
  bulk statements shared with the generator
- ``export``: the households back out as CSV or XLSX
- ``generate``: a realistic simulated neighbourhood for the demo and the benchmarks
- ``retention``: deleting call recordings past their retention period
- ``bench``: import and generator speed as figures
"""
