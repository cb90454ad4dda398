"""The exception family of ivr. Every message says what went wrong and where.

IvrError
├── ConfigError          a setting is missing or invalid
├── InputError           a value from a person or a file is refused (number, name, text)
│   └── DialStringError  a number or channel that is not a valid dial string
├── PbxError             the embedded Asterisk cannot be provisioned, started or stopped
├── AmiError             the Asterisk Manager Interface refused or failed an action
│   ├── AmiConnectionError   not connected, or the connection was lost
│   └── AmiTimeout           no response in time
├── AudioSocketError     a malformed frame or a broken media stream
├── SpeechError          a model or voice cannot be loaded or run
├── ScriptError          a dialogue script is invalid (file, line, column)
└── ImportRowsError      a household file has bad rows (row, column)
"""

from __future__ import annotations


class IvrError(Exception):
    """Base class of every error ivr raises on purpose."""


class ConfigError(IvrError):
    pass


class InputError(IvrError, ValueError):
    pass


class DialStringError(InputError):
    pass


class PbxError(IvrError):
    pass


class AmiError(IvrError):
    def __init__(self, message: str, *, response: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.response = response or {}


class AmiConnectionError(AmiError):
    pass


class AmiTimeout(AmiError):
    pass


class AudioSocketError(IvrError):
    pass


class SpeechError(IvrError):
    pass


class ScriptError(IvrError):
    """A script problem; ``problems`` holds every one found, each with its place."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message if not problems else message + "\n" + "\n".join(problems))
        self.problems = problems or []


class ImportRowsError(IvrError):
    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message + "\n" + "\n".join(problems))
        self.problems = problems
