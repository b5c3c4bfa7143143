"""党费 from a stated monthly income, by the 2008 brackets (docs/domain-rules.md §A2).

The whole base uses one rate (the brackets are not progressive). The base is
the 税后, 相对固定的经常性 wage income for members at work and the 离退休费 for
retired members; the reply says which base it assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.core.messages import Reply
from handlers import texts
from handlers.amounts import amounts
from handlers.ask import answer
from handlers.context import HandlerContext
from storage.knowledge.normalize import simplify

# (upper bound inclusive, rate); None = no upper bound. 党费规定 第一、二条; 离退休 第五条.
EMPLOYED: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(3000), Decimal("0.005")),
    (Decimal(5000), Decimal("0.01")),
    (Decimal(10000), Decimal("0.015")),
    (None, Decimal("0.02")),
)
RETIRED: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(5000), Decimal("0.005")),
    (None, Decimal("0.01")),
)
_INCOME_WORDS = re.compile(
    r"工资|收入|月薪|薪水|薪资|薪酬|年薪|税后|税前|到手|挣|退休金|退休费|离休费|养老金|基数"
)
_HOW_MUCH = re.compile(r"(?:交|缴|党费).{0,6}?(?:多少|几块|几元)")
RETIRED_WORDS = re.compile(r"退休|离休|养老金|养老保险金")
MIN_BASE = Decimal(100)  # smaller numbers are months, counts or typos, not a monthly income


@dataclass(frozen=True, slots=True)
class Dues:
    base: Decimal
    retired: bool
    lower: Decimal | None  # the bracket, exclusive lower bound (None: from zero)
    upper: Decimal | None  # inclusive upper bound (None: open)
    rate: Decimal

    @property
    def monthly(self) -> Decimal:
        return (self.base * self.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute(base: Decimal, *, retired: bool) -> Dues:
    """The bracket and rate for a monthly base; 3000 is 0.5%, 3000.01 is 1% (upper bounds inclusive)."""
    if base < 0:
        raise ValueError("income cannot be negative")
    lower: Decimal | None = None
    for upper, rate in RETIRED if retired else EMPLOYED:
        if upper is None or base <= upper:
            return Dues(base, retired, lower, upper, rate)
        lower = upper
    raise AssertionError("the last bracket is open")


def parse_income(text: str) -> Decimal | None:
    """The monthly amount in a message: 8000, 8千, 一万二, 2万5, 12k; the 税后 one when both are given."""
    found = [a for a in amounts(simplify(text)) if a.value >= MIN_BASE]
    after_tax = [a.value for a in found if a.tax == "税后"]
    return max(after_tax or [a.value for a in found], default=None)


def _money(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def describe(dues: Dues) -> str:
    if dues.lower is None:
        bracket = texts.DUES_BRACKET_UPTO.format(upper=_money(dues.upper or Decimal(0)))
    elif dues.upper is None:
        bracket = texts.DUES_BRACKET_ABOVE.format(lower=_money(dues.lower))
    else:
        bracket = texts.DUES_BRACKET_BETWEEN.format(lower=_money(dues.lower), upper=_money(dues.upper))
    template = texts.DUES_RETIRED if dues.retired else texts.DUES_EMPLOYED
    return template.format(
        base=_money(dues.base), bracket=bracket, rate=_money(dues.rate * 100), fee=_money(dues.monthly)
    )


def income_question(text: str) -> Decimal | None:
    """The income when ``text`` asks what it pays ("工资8000", "8000交多少"); None for other 党费 questions.

    "党费超过一千块上交中央吗" names an amount, not an income, and is a question for the knowledge base.
    """
    plain = simplify(text)
    if not (_INCOME_WORDS.search(plain) or _HOW_MUCH.search(plain)):
        return None
    return parse_income(plain)


def calculate(ctx: HandlerContext) -> list[Reply]:
    """Answer "月收入8000交多少党费"; any other question about 党费 goes to the knowledge base."""
    base = income_question(ctx.text)
    if base is None:
        return answer(ctx)
    retired = bool(RETIRED_WORDS.search(simplify(ctx.text)))
    return [Reply(describe(compute(base, retired=retired)))]
