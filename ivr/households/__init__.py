"""Household data services: one module per job.

- ``places``: street → committee → building → unit, found or created by name
- ``status``: colour changes, each one kept in the history (``set_status``)
- ``flags``: the staff worklist (``raise_flag``, ``resolve_flag``), keeping ``flagged`` true to it
- ``dnc``: the do-not-call list, by canonical number
- ``optout``: a resident asking not to be called again
- ``overview``: what the map shows (counts by colour, households by building)
- ``lookup``: finding and loading households for staff
- ``table_file``, ``columns``, ``rows``, ``importer``: reading a CSV/XLSX household list and
  merging it into the database in one transaction
- ``export``: writing the households back out as CSV or XLSX
- ``generate``: a realistic simulated neighbourhood for the demo and the benchmarks
- ``retention``: deleting call recordings past their retention period
- ``bench``: import speed as a figure
"""
