"""The embedded Asterisk (a real Asterisk 22 in a cached Debian unstable tree)."""

from ivr.pbx.embedded import EmbeddedPbx, PbxStatus

__all__ = ["EmbeddedPbx", "PbxStatus"]
