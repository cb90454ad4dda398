"""Where the AMI secret comes from: the settings, or the embedded instance that generated it."""

from __future__ import annotations

from ivr.config import Settings
from ivr.errors import ConfigError


def ami_secret(settings: Settings) -> str:
    if settings.ami_secret is not None:
        return settings.ami_secret.get_secret_value()
    if settings.pbx_mode == "embedded":
        from ivr.pbx.embedded import EmbeddedPbx

        return EmbeddedPbx(settings).ami_secret()
    raise ConfigError("ami_secret is not set (IVR_AMI_SECRET) and pbx_mode is not 'embedded'")
