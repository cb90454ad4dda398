"""Filling a script's placeholders, and saying numbers the way the robot reads them back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.errors import ScriptError
from ivr.script.model import HOUSEHOLD_PLACEHOLDERS, PLACEHOLDER, Script
from ivr.understanding.languages.en import DIGIT_WORDS, number_words


def say_decimal(value: float) -> str:
    """37.2 → "thirty seven point two"; 37.0 → "thirty seven point zero" (a read-back says
    the decimal, so "thirty seven" cannot be mistaken for a cut-off "thirty seven point…")."""
    tenths = round(value * 10)
    whole, tenth = divmod(tenths, 10)
    return f"{number_words(whole)} point {DIGIT_WORDS[tenth]}"


def spoken_temperature(celsius: float, spoken: float | None = None, unit: str = "C") -> str:
    """How the robot reads a temperature back: in the unit the resident used."""
    if unit == "F" and spoken is not None:
        return f"{say_decimal(spoken)} Fahrenheit"
    return f"{say_decimal(celsius)} degrees"


def spoken_digits(digits: str) -> str:
    return " ".join(DIGIT_WORDS[int(d)] if d.isdigit() else d for d in digits)


def fill(text: str, values: Mapping[str, Any]) -> str:
    """Replace every ``{name}``; a missing value is an error (the checker makes that rare)."""

    def value_of(match: Any) -> str:
        name = match.group(1).strip()
        if name not in values or values[name] is None:
            raise ScriptError(f"no value for placeholder {{{name}}}")
        return str(values[name])

    return PLACEHOLDER.sub(value_of, text)


def resolve_values(
    script: Script,
    household: Mapping[str, Any],
    household_fields: Mapping[str, Any],
    campaign_variables: Mapping[str, Any],
) -> dict[str, Any]:
    """The value of every placeholder for one household.

    Household facts first (building, room...), then for each script variable: the household's
    own field of that name (an import column), the campaign's value, the script's default.
    """
    values: dict[str, Any] = {name: household.get(name, "") for name in HOUSEHOLD_PLACEHOLDERS}
    missing = []
    for name, variable in script.variables.items():
        for source in (household_fields, campaign_variables):
            if source.get(name) not in (None, ""):
                values[name] = source[name]
                break
        else:
            if variable.default is None:
                missing.append(name)
            else:
                values[name] = variable.default
    if missing:
        raise ScriptError(
            f"script {script.name}: no value for {', '.join(missing)} "
            "(give it with the campaign, e.g. --var name=value)"
        )
    return values


def missing_campaign_variables(script: Script, campaign_variables: Mapping[str, Any]) -> list[str]:
    """Variables with no default that the campaign does not give (households might still)."""
    return [
        name
        for name, variable in script.variables.items()
        if variable.default is None and campaign_variables.get(name) in (None, "")
    ]
