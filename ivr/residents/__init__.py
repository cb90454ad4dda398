"""Simulated residents: personas in AstDB, and a simulator that answers their calls."""

from ivr.residents.persona import ASTDB_FAMILY, Persona, number_from_session

__all__ = ["ASTDB_FAMILY", "Persona", "number_from_session"]
