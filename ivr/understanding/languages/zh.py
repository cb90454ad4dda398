"""Chinese spoken numbers → digits: 三十六点五 → 36.5, 36度5 → 36.5, 三十七度二 → 37.2."""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百]+")


def _integer(run: str) -> int:
    """三十六 → 36, 九十八 → 98, 一百零一 → 101, 十 → 10; bare digit strings 三六五 → 365."""
    if "十" not in run and "百" not in run:
        return int("".join(str(DIGITS[ch]) for ch in run))
    total, current = 0, 0
    for ch in run:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


class Chinese:
    code = "zh"
    fahrenheit_words = ("华氏", "华氏度", "fahrenheit", "f")
    celsius_words = ("摄氏", "摄氏度", "celsius", "c")
    # 不到 / 低于 / 高于 / 超过 / 将近 / 快 38 度; 38 度以上 / 以下 / 多 ("38 and something");
    # 37 到 / 至 / 或 38
    bounds_before = (("不", "到"), ("低", "于"), ("高", "于"), ("超", "过"), ("将", "近"),
                     ("接", "近"), ("快",), ("至", "少"), ("最", "多"))  # fmt: skip
    bounds_after = (("以", "上"), ("以", "下"), ("多",))
    range_joiners = (("到",), ("至",), ("或",), ("或", "者"))
    readings_before: tuple[tuple[str, ...], ...] = ()  # 升到 38 度 holds no bound word

    def to_digits(self, text: str) -> str:
        def run_to_digits(match: re.Match[str]) -> str:
            return str(_integer(match.group(0)))

        # 点 between numerals is the decimal point: 三十六点五 → 三十六.五
        text = re.sub(
            r"(?<=[\d零〇一二两三四五六七八九十])点(?=[\d零〇一二两三四五六七八九])", ".", text
        )
        digits_after_point = re.sub(
            r"\.([零〇一二两三四五六七八九]+)",
            lambda m: "." + "".join(str(DIGITS[ch]) for ch in m.group(1)),
            text,
        )
        text = _NUMERAL_RUN.sub(run_to_digits, digits_after_point)
        # 36度5 / 37度2: a digit right after 度 is the decimal, as people say temperatures
        text = re.sub(r"(\d+)\s*度\s*(\d)(?!\d)", r"\1.\2 度", text)
        text = text.replace("华氏", " fahrenheit ").replace("摄氏", " celsius ")
        return " ".join(re.findall(r"\d+(?:\.\d+)?|[a-z]+|[^\s\d\w]|\w", text.lower()))
