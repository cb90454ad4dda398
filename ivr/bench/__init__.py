"""Benchmarks behind ``ivr bench ...``: each returns one dict of figures (JSON on the CLI)."""
