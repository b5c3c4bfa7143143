"""Money amounts as members write them: 8000, 8,000, 1.2万, 2万5, 一万二, 两千五, 8k, 8千, 1w.

One parser for every place that reads an amount. The colloquial tail counts in the unit below the
last one (2万5 = 25000, 一万二 = 12000, 三千五 = 3500, 三百五 = 350), as a spoken amount does. A
number followed by a time or count word (6个月, 2026年, 15号, 3次) is not an amount; 税前/税后
just before a number is kept with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_UNITS = {"十": 10, "百": 100, "千": 1000, "k": 1000, "万": 10000, "w": 10000}
_NUMBER = re.compile(
    r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万])"
    r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]|[kw](?![a-z]))*",
    re.IGNORECASE,
)
_PIECE = re.compile(r"\d+(?:\.\d+)?|.", re.IGNORECASE)
_NOT_MONEY = re.compile(r"\s*(?:个?月|年|号|日|岁|%|周|天|次|小时|分钟|个人|人|名|项|条|学时|届|位)")
_TAX_BEFORE = re.compile(r"(税前|税后)[^\d零〇一二两三四五六七八九十]{0,4}$")
_TAX_AFTER = re.compile(r"\s*(?:元|块)?\s*(税前|税后)")


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    tax: str | None  # "税前" | "税后" | None: what the member said just before it


def number(spoken: str) -> Decimal | None:
    """The value of one written number (digits, Chinese numerals, units, mixed); None if it is not one."""
    total, section, current = Decimal(0), Decimal(0), None  # 万 groups, the group under 万, the last digit(s)
    last_unit, after_digit = 0, False
    for piece in _PIECE.findall(spoken.lower()):
        if piece[0].isdigit():
            try:
                current = Decimal(piece)
            except InvalidOperation:
                return None
            after_digit = False
        elif piece in _DIGITS:
            digit = Decimal(_DIGITS[piece])
            current = current * 10 + digit if after_digit and current is not None else digit
            after_digit = True
            if piece in "零〇":
                last_unit = 0  # 一百零五: the 5 is units, not tens
        elif piece in _UNITS:
            unit = _UNITS[piece]
            if unit == 10000:
                total += (section + (current if current is not None else (0 if section else 1))) * unit
                section = Decimal(0)
            else:
                section += (current if current is not None else 1) * unit
            current, last_unit, after_digit = None, unit, False
        else:
            return None
    if current is not None:  # 2万5, 一万二: the tail is in the unit below the last one
        single = current < 10 and current == current.to_integral_value()
        section += current * last_unit // 10 if last_unit >= 100 and single else current
    return total + section


def amounts(text: str) -> list[Amount]:
    """Every amount in ``text`` (simplified, half-width), in order."""
    found = []
    plain = text.replace(",", "").replace("，", "")
    for match in _NUMBER.finditer(plain):
        spoken, end = match.group(0), match.end()
        if _NOT_MONEY.match(plain, end):
            if len(spoken) < 2 or spoken[-1] not in "一两":  # 6个月, 2026年
                continue
            spoken, end = spoken[:-1], end - 1  # 8k一个月, 3000一个月: the 一 counts the months
        value = number(spoken)
        if value is None:
            continue
        tax = _TAX_BEFORE.search(plain, 0, match.start()) or _TAX_AFTER.match(plain, end)
        found.append(Amount(value, tax.group(1) if tax else None))
    return found
