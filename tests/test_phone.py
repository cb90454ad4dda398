import pytest

from ivr.errors import DialStringError, InputError
from ivr.phone import check_dial_number, dial_string, mask, national_form, normalize


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86-138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("13800138000.0", "+8613800138000"),  # a number read from a spreadsheet cell
        ("010 6552 9988", "+861065529988"),
        ("1001", "1001"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_normalize(raw: str, stored: str) -> None:
    assert normalize(raw) == stored


@pytest.mark.parametrize(
    "raw", ["", "abc", "12345678901", "1380013800\r\nAction: Logoff", "138-0013-800x", "62\n01"]
)
def test_normalize_refuses(raw: str) -> None:
    with pytest.raises(InputError):
        normalize(raw)


def test_national_form() -> None:
    assert national_form("+8613800138000") == "13800138000"
    assert national_form("+861065529988") == "01065529988"
    assert national_form("+16502530000") == "+16502530000"
    assert national_form("2001") == "2001"


@pytest.mark.parametrize(
    "bad", ["", "12a", "1001\r\n", "1001\nAction: Originate", "1001@other", "1/2", "1" * 21, "1 2"]
)
def test_dial_number_refuses(bad: str) -> None:
    with pytest.raises(DialStringError):
        check_dial_number(bad)


def test_dial_string() -> None:
    assert dial_string("PJSIP/{number}@carrier", "+8613800138000") == "PJSIP/+8613800138000@carrier"
    with pytest.raises(DialStringError):
        dial_string("Local/{number}@residents", "2001&PJSIP/evil")
    with pytest.raises(DialStringError):
        dial_string("Local/{number}@res idents", "2001")


def test_mask() -> None:
    assert mask("13800138000") == "138****8000"
    assert mask("+8613800138000") == "+86 138****8000"
    assert mask("2001") == "2001"
