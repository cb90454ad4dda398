"""One validated configuration for every part of ivr.

Sources, later ones winning: built-in defaults, a TOML file (``--config FILE``, else ``ivr.toml``
in the working folder, else ``$XDG_CONFIG_HOME/ivr/ivr.toml``), then environment variables
``IVR_<SETTING>``. A TOML section flattens into the setting names: ``[ami] port = 5038`` is the
setting ``ami_port`` and the variable ``IVR_AMI_PORT``.
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ivr.errors import ConfigError

CONFIG_ENV = "IVR_CONFIG"


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def default_config_file() -> Path | None:
    """The file used when no ``--config`` is given, or None when there is none."""
    for candidate in (Path("ivr.toml"), _xdg("XDG_CONFIG_HOME", ".config") / "ivr" / "ivr.toml"):
        if candidate.is_file():
            return candidate
    return None


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the TOML file and flattens ``[section] key`` into ``section_key``."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # pragma: no cover - __call__ does the work

    def __call__(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            raw = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{self.path}: configuration file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path}: not valid TOML: {exc}") from exc
        flat: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                for sub, subvalue in value.items():
                    flat[f"{key}_{sub}"] = subvalue
            else:
                flat[key] = value
        known = set(self.settings_cls.model_fields)
        unknown = sorted(set(flat) - known)
        if unknown:
            raise ConfigError(f"{self.path}: unknown setting(s): {', '.join(unknown)}")
        return flat


class Settings(BaseSettings):
    """Every setting of ivr, with its default. See docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="IVR_", extra="forbid", validate_default=True)

    # where state lives
    # data_dir: databases, logs, pid files, the truth log of simulated residents
    data_dir: Path = Field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "ivr")
    # cache_dir: the Asterisk tree, assembled models, generated test audio
    cache_dir: Path = Field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "ivr")
    database_url: str = ""  # empty: sqlite file in data_dir
    # log_level: quiet by default; phone numbers are masked at every level
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    # which Asterisk: the embedded one, or the user's own
    pbx_mode: Literal["embedded", "external"] = "embedded"  # "external": docs/asterisk.md
    pbx_tree: Path | None = None  # the mmdebstrap tree; default cache_dir/asterisk-sid
    # pbx_instance: several instances share one tree, each with its own ports and state
    pbx_instance: str = "default"
    pbx_boot_timeout_s: float = 60.0  # how long `ivr pbx up` waits for "fully booted"
    pbx_sip_bind: str = "127.0.0.1"  # 0.0.0.0 to let desk phones on the LAN register
    # pbx_sip_port: UDP port of the PJSIP transport (staff phones, trunk)
    pbx_sip_port: int = Field(5060, ge=1, le=65535)
    pbx_rtp_start: int = Field(10000, ge=1024, le=65535)  # RTP port range for SIP calls
    pbx_rtp_end: int = Field(10999, ge=1024, le=65535)  # last RTP port
    # pbx_staff_phones: PJSIP endpoints rendered for staff desk phones
    pbx_staff_phones: list[str] = Field(default_factory=lambda: ["staff1", "staff2"])
    pbx_staff_password: SecretStr | None = None  # default: generated and kept in the instance
    # transfer_endpoints: staff phones a resident asking for a person may be handed to
    transfer_endpoints: list[str] = Field(default_factory=lambda: ["staff1", "staff2"])
    pbx_trunk_host: str = ""  # carrier SIP host; empty: no trunk rendered
    pbx_trunk_username: str = ""  # the carrier account
    pbx_trunk_password: SecretStr | None = None  # the carrier account's password

    # Asterisk Manager Interface
    ami_host: str = "127.0.0.1"  # where the Asterisk Manager Interface listens
    ami_port: int = Field(5038, ge=1, le=65535)  # AMI TCP port
    ami_username: str = "ivr"  # AMI user (manager.conf section)
    ami_secret: SecretStr | None = None  # embedded: generated; external: required
    ami_connect_timeout_s: float = 5.0  # connecting and logging in
    ami_action_timeout_s: float = 10.0  # waiting for an action's response
    # ami_reconnect_initial_s: first wait before reconnecting; doubles up to the maximum
    ami_reconnect_initial_s: float = 0.5
    ami_reconnect_max_s: float = 10.0  # longest wait between reconnection tries

    # AudioSocket: where our server listens, and the address the dialplan connects to
    audiosocket_bind: str = "127.0.0.1"  # address ivr's AudioSocket server listens on
    audiosocket_port: int = Field(9092, ge=0, le=65535)  # 0: any free port
    audiosocket_address: str = ""  # what the dialplan dials; default bind:port
    # audiosocket_max_payload: a longer frame is malformed and ends its call
    audiosocket_max_payload: int = Field(4096, ge=320, le=65535)
    # audiosocket_idle_timeout_s: nothing from Asterisk this long: dead (a mute trunk sends nothing)
    audiosocket_idle_timeout_s: float = 60.0

    # the dialer
    dial_template: str = "Local/{number}@residents"  # a trunk: PJSIP/{number}@carrier
    originate_timeout_s: float = 30.0  # ring time before "no answer"
    caller_id: str = "Committee <0000>"  # the caller ID households see
    default_country: str = "CN"  # country of numbers written without a country code (ISO 3166)
    recordings_dir: Path | None = None  # default: the instance's monitor folder
    # recording_retention_days: recordings older than this are deleted (`ivr recordings purge`)
    recording_retention_days: int = Field(90, ge=1)
    # the campaign dialer (ivr run): limits over all campaigns, and how often it looks again
    dialer_max_channels: int = Field(60, ge=1, le=1000)  # calls in flight at once, all campaigns
    dialer_prepare_ahead: int = Field(12, ge=1, le=1000)  # attempts committed before a slot frees
    dialer_poll_s: float = Field(1.0, ge=0.05, le=60.0)  # campaign changes picked up this often
    dialer_lease_s: int = Field(1800, ge=60)  # a claimed household is this node's for this long
    dialer_drain_timeout_s: float = Field(600.0, ge=1.0)  # on SIGTERM, calls get this to finish
    dialer_node: str = ""  # name of this dialer node; default the host name
    campaign_timezone: str = "Asia/Shanghai"  # calling windows of a campaign that names none

    # answering-machine detection (app_amd's rules, Silero's ears; ivr/calls/amd.py), milliseconds
    # amd_total_analysis_time: longest time AMD listens before deciding
    amd_total_analysis_time: int = Field(5000, ge=1000, le=30000)
    # amd_initial_silence: silence before a greeting longer than this: a machine
    amd_initial_silence: int = Field(2500, ge=500, le=10000)
    # amd_after_greeting_silence: silence after a greeting this long: a person
    amd_after_greeting_silence: int = Field(800, ge=100, le=5000)
    amd_greeting: int = Field(1500, ge=500, le=10000)  # a greeting longer than this: a machine
    amd_min_word_length: int = Field(100, ge=10, le=2000)  # shortest sound that counts as a word
    # amd_maximum_word_length: a "word" longer than this: a machine
    amd_maximum_word_length: int = Field(5000, ge=500, le=20000)
    amd_between_words_silence: int = Field(50, ge=10, le=1000)  # silence that separates two words
    # amd_maximum_number_of_words: more words than this in the greeting: a machine
    amd_maximum_number_of_words: int = Field(2, ge=1, le=20)

    # simulated residents (embedded Asterisk only)
    simulation_enabled: bool = True  # start the resident simulator with the embedded Asterisk
    simulation_port: int = Field(9093, ge=1, le=65535)  # the simulator's AudioSocket port

    # speech
    asr_model: str = "tiny.en"  # tiny.en | base | a folder with a CTranslate2 model
    asr_workers: int = Field(2, ge=1, le=16)  # recognitions run at once (threads sharing one model)
    asr_beam_size: int = Field(5, ge=1, le=10)  # beam search width of each decode
    asr_cpu_threads: int = Field(1, ge=1, le=16)  # per worker; workers x threads <= cores
    asr_language: str = "en"  # for the multilingual model; tiny.en is English only
    asr_window_s: float = Field(10.0, ge=5.0, le=30.0)  # shortest audio window the encoder sees
    asr_no_speech_threshold: float = Field(0.9, ge=0.0, le=1.0)  # Whisper's own "no speech"
    asr_min_speech_ms: int = Field(120, ge=0, le=2000)  # less voiced audio than this: no answer
    asr_min_speech_dbfs: float = Field(-50.0, ge=-90.0, le=0.0)  # quieter voiced audio: no answer
    asr_min_confidence: float = Field(0.45, ge=0.0, le=1.0)  # weaker temperature: not understood
    asr_temperature_reader: bool = True  # temperatures read by trained CTC heads (2 encoders)
    asr_answer_reader: bool = True  # yes/no, requests: CTC heads vote too (2 encoders)
    # asr_head_views: an unsure answer is read again by the heads, resampled by these factors
    asr_head_views: list[float] = Field(default_factory=lambda: [0.92, 1.08], max_length=4)
    tts_voice: str = "en_US-joe-medium"  # bundled voice, or a path to a piper .onnx
    vad_trailing_silence_ms: int = Field(400, ge=100, le=2000)  # a comma pause is ~300 ms
    # vad_incomplete_silence_ms: a temperature maybe half said ("thirty six ..."): wait this long
    vad_incomplete_silence_ms: int = Field(1500, ge=100, le=5000)
    # vad_no_input_timeout_ms: nothing said this long after a question: no input
    vad_no_input_timeout_ms: int = Field(6000, ge=500, le=60000)
    vad_max_utterance_ms: int = Field(12000, ge=1000, le=60000)  # an answer is cut after this long
    vad_speech_start_ms: int = Field(40, ge=20, le=500)  # voiced this long before barge-in fires
    vad_speculative_ms: int = Field(120, ge=40, le=1000)  # silence before recognition starts early
    # vad_silero_threshold: speech probability that counts as speech
    vad_silero_threshold: float = Field(0.5, ge=0.05, le=0.95)
    tts_length_scale: float = Field(1.0, ge=0.5, le=2.0)  # piper speed: above 1 is slower
    prompt_cache_dir: Path = Path("voice_prompts/cache")  # pre-rendered prompts, 8 kHz WAV
    temperature_min_c: float = Field(34.0, ge=25.0, le=40.0)  # outside: not understood
    # temperature_max_c: above: not understood (never a guess)
    temperature_max_c: float = Field(42.5, ge=37.0, le=46.0)

    # household database: where rows without a street or committee column go; staff accounts
    # households_default_street: street of imported rows that name none
    households_default_street: str = Field("Default Street", min_length=1, max_length=120)
    # households_default_committee: committee of imported rows that name none
    households_default_committee: str = Field("Default Committee", min_length=1, max_length=120)
    staff_password_min_length: int = Field(8, ge=6, le=128)  # shortest staff password accepted

    # report view
    report_host: str = "127.0.0.1"  # the report view binds to localhost unless told otherwise
    report_port: int = Field(8080, ge=1, le=65535)  # the report view's port
    report_session_secret: SecretStr | None = None  # default: generated and kept in data_dir
    report_https_only: bool = False  # behind a TLS proxy: mark the session cookie Secure
    report_session_max_age_s: int = Field(12 * 3600, ge=300)  # a login lasts one working day
    report_login_max_failures: int = Field(5, ge=1, le=100)  # per user name and per address
    report_login_lockout_s: float = Field(300.0, ge=1.0)  # refused this long after that many
    report_login_failure_delay_s: float = Field(0.5, ge=0.0, le=10.0)  # slows password guessing
    report_map_max_rooms: int = Field(10_000, ge=100)  # a larger street: a bar per building

    @field_validator("pbx_instance")
    @classmethod
    def _instance_name(cls, value: str) -> str:
        if not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("use letters, digits, '-' and '_' only")
        return value

    @field_validator("asr_head_views")
    @classmethod
    def _view_factors(cls, value: list[float]) -> list[float]:
        if any(not 0.8 <= factor <= 1.25 or factor == 1.0 for factor in value):
            raise ValueError("each factor must be from 0.8 to 1.25, and not 1")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.pbx_rtp_end <= self.pbx_rtp_start:
            raise ValueError("pbx_rtp_end must be above pbx_rtp_start")
        if self.pbx_mode == "external" and self.ami_secret is None:
            raise ValueError("pbx_mode = 'external' needs ami_secret (IVR_AMI_SECRET)")
        if "{number}" not in self.dial_template:
            raise ValueError("dial_template must contain {number}")
        return self

    # -- derived -----------------------------------------------------------------------------

    @property
    def pbx_tree_dir(self) -> Path:
        return self.pbx_tree or self.cache_dir / "asterisk-sid"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ivr.db'}"

    @property
    def audiosocket_target(self) -> str:
        return self.audiosocket_address or f"{self.audiosocket_bind}:{self.audiosocket_port}"

    @cached_property
    def config_file(self) -> Path | None:
        return None  # replaced by load_settings

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _CURRENT_FILE.get("path")
        return (init_settings, env_settings, _TomlSource(settings_cls, path))


_CURRENT_FILE: dict[str, Path | None] = {}


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load and validate the configuration; raise ConfigError naming the bad setting."""
    path = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    path = path or default_config_file()
    _CURRENT_FILE["path"] = path
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        where = str(path) if path else "environment"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{where}: invalid configuration: {problems}") from exc
    finally:
        _CURRENT_FILE.pop("path", None)
    settings.__dict__["config_file"] = path
    return settings
