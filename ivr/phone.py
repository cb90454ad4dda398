"""Phone numbers: normalise what people type, check what reaches Asterisk, mask what reaches logs.

Every number is stored in one canonical form, the *dial number*: digits only, with a leading
``+`` for international (E.164) numbers, or a short internal extension (simulated residents,
staff phones). Nothing else is ever put into a dial string.
"""

from __future__ import annotations

import re

import phonenumbers

from ivr.errors import DialStringError, InputError

# What may stand in a dial string: an optional "+", then digits (and * # for feature codes).
_DIAL_NUMBER = re.compile(r"\+?[0-9*#]{1,20}")
_CHANNEL_TECH = re.compile(r"(Local|PJSIP|SIP|IAX2|DAHDI)/[A-Za-z0-9+*#._@-]{1,80}")
_SEPARATORS = re.compile(r"[ \u00a0\u3000().\-/]")  # not CR/LF: a line break is no separator
SHORT_EXTENSION_MAX = 8  # up to this many digits: an internal extension, not a public number


def normalize(raw: str, default_country: str = "CN") -> str:
    """Turn a number as typed (``138 0013 8000``, ``+86-138...``, ``0086...``) into a dial number.

    Short extensions (up to 8 digits) are kept as they are; longer numbers must be valid
    public numbers for ``default_country`` or carry a country code.
    """
    if raw is None:
        raise InputError("phone number is empty")
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # spreadsheets store numbers as floats
        text = text[:-2]
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise InputError("phone number is empty")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?[0-9]+", compact):
        raise InputError(f"phone number {mask(text)!r} has characters other than digits")
    if not compact.startswith("+") and len(compact) <= SHORT_EXTENSION_MAX:
        return compact
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else default_country)
    except phonenumbers.NumberParseException as exc:
        raise InputError(f"phone number {mask(compact)!r} cannot be read: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InputError(f"phone number {mask(compact)!r} is not a valid number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_form(number: str, default_country: str = "CN") -> str:
    """The digits to dial for a stored number from inside ``default_country``.

    ``+8613800138000`` → ``13800138000``; ``+861012345678`` → ``01012345678``; a foreign
    number keeps its ``+`` form; an extension is returned unchanged.
    """
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise DialStringError(f"not a valid number: {mask(number)!r}") from exc
    if phonenumbers.region_code_for_number(parsed) != default_country.upper():
        return number
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"[^0-9]", "", national)


def check_dial_number(number: str) -> str:
    """Return ``number`` if it may be put into a dial string, else raise DialStringError."""
    if not isinstance(number, str) or not _DIAL_NUMBER.fullmatch(number):
        raise DialStringError(f"not a valid dial number: {mask(str(number))!r}")
    return number


def dial_string(template: str, number: str) -> str:
    """Fill a dial template such as ``PJSIP/{number}@carrier`` with a checked number."""
    channel = template.replace("{number}", check_dial_number(number))
    if not _CHANNEL_TECH.fullmatch(channel):
        raise DialStringError(f"dial template {template!r} does not give a valid channel")
    return channel


def mask(number: str) -> str:
    """``13800138000`` → ``138****8000``: enough for staff to recognise, not to dial."""
    text = str(number)
    prefix = ""
    if text.startswith("+"):
        try:
            parsed = phonenumbers.parse(text, None)
            prefix = f"+{parsed.country_code} "
            text = phonenumbers.national_significant_number(parsed)
        except phonenumbers.NumberParseException:
            pass
    digits = len(text)
    if digits <= 4:
        return prefix + text
    if digits <= 7:
        return prefix + text[:1] + "*" * (digits - 3) + text[-2:]
    return prefix + text[:3] + "*" * (digits - 7) + text[-4:]
