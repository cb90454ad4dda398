"""ivr: a self-hosted outbound voice robot for neighbourhood committees."""

__version__ = "0.1.0"
