"""The payoff engine: what a term sheet pays, per unit, along a given price path.

Every product is settled by scanning the path once; nothing is stateful, so replaying a
path always gives the same cash flows. Amounts are computed exactly with
:class:`fractions.Fraction` (prices, barriers and year fractions included) and rounded to
cents once, per unit, with ROUND_HALF_EVEN (banker's rounding, the IEEE 754 and
``decimal`` default, which does not bias a book of many flows upwards). A holding's total
is that per-unit amount times the units held, so every holder of a unit receives the same.

``N`` in the formulas is the term sheet's ``denomination``, the face value of one unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from rwasim.products.day_count import year_fraction
from rwasim.products.prices import PricePath
from rwasim.products.term_sheet import (
    CENT,
    Autocallable,
    FixedCoupon,
    FixedIncomeRedeemable,
    PrincipalProtected,
    TermSheet,
)

#: The kinds of cash flow the engine produces.
CASH_FLOW_KINDS: tuple[str, ...] = ("coupon", "redemption", "early_redemption", "accrual_redemption")


@dataclass(frozen=True, kw_only=True)
class CashFlow:
    """One payment of a product, with the facts that explain its amount.

    Attributes
    ----------
    date : datetime.date
        Payment date: ``event_date`` plus the term sheet's settlement lag in calendar days.
    event_date : datetime.date
        The observation, coupon or redemption date that triggered the payment.
    kind : str
        One of :data:`CASH_FLOW_KINDS`.
    amount : Decimal
        Paid per unit, in currency major units, rounded to cents (ROUND_HALF_EVEN).
    units : int
        Units the flow is computed for; :attr:`total` is ``amount * units``.
    knocked_in, knock_in_date, knock_out_date
        Autocallable only: whether and when the knock-in barrier was touched (up to the
        event date) and the knock-out date, if the note was called.
    accrual_start, accrual_end, year_fraction
        The interest period behind a coupon, and its exact day-count fraction.
    underlying_close : Decimal or None
        The close the payoff was computed from, for underlying-linked products.
    note : str
        One human-readable line on why this amount was paid.
    """

    date: dt.date
    event_date: dt.date
    kind: str
    amount: Decimal
    units: int
    knocked_in: bool | None = None
    knock_in_date: dt.date | None = None
    knock_out_date: dt.date | None = None
    accrual_start: dt.date | None = None
    accrual_end: dt.date | None = None
    year_fraction: Fraction | None = None
    underlying_close: Decimal | None = None
    note: str = ""

    @property
    def total(self) -> Decimal:
        """The amount for all :attr:`units`: per-unit amount times units, exact."""
        return self.amount * self.units

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: Decimals and fractions as strings, dates ISO, ``None`` kept."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, (Decimal, Fraction)):
                value = str(value)
            elif isinstance(value, dt.date):
                value = value.isoformat()
            out[name] = value
        out["total"] = str(self.total)
        return out


def to_cents(value: Fraction | Decimal | int) -> Decimal:
    """Round an exact amount to cents, half to even.

    Parameters
    ----------
    value : Fraction, Decimal or int
        The exact amount in major currency units.

    Returns
    -------
    Decimal
        With exactly two decimal places, e.g. ``Decimal('10498.63')``.
    """
    hundredths = Fraction(value) * 100
    whole, remainder = divmod(hundredths, 1)
    whole = int(whole)
    if remainder > Fraction(1, 2) or (remainder == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return Decimal(whole).scaleb(-2).quantize(CENT)


def redemption_value(term_sheet: FixedIncomeRedeemable, on: dt.date) -> Decimal:
    """Per-unit value of redeeming a fixed-income note on ``on``: par plus accrued interest.

    Interest accrues daily from the issue date on the term sheet's day count:
    ``N + round(N * annual_rate * yf(issue_date, on))``.

    Raises
    ------
    ValueError
        If ``on`` is before the issue date or after maturity (the note has then been
        redeemed at maturity and no longer exists).
    """
    if not isinstance(term_sheet, FixedIncomeRedeemable):
        raise TypeError(f"redemption on demand applies to fixed_income_redeemable, not {term_sheet.kind}")
    if not term_sheet.issue_date <= on <= term_sheet.maturity_date:
        raise ValueError(
            f"{term_sheet.id} can be redeemed from {term_sheet.issue_date.isoformat()} "
            f"to {term_sheet.maturity_date.isoformat()}, not on {on.isoformat()}"
        )
    yf = year_fraction(term_sheet.issue_date, on, term_sheet.day_count)
    return term_sheet.denomination + to_cents(Fraction(term_sheet.denomination) * Fraction(term_sheet.annual_rate) * yf)


def cash_flows(
    term_sheet: TermSheet,
    path: PricePath | None = None,
    units: int | None = None,
    *,
    redeem_on: dt.date | None = None,
) -> list[CashFlow]:
    """Every payment the product makes along ``path``, in payment order.

    Parameters
    ----------
    term_sheet : TermSheet
        A validated term sheet of any kind.
    path : PricePath or None
        Closes of the underlying; required for principal-protected and autocallable
        products, ignored by the fixed-income kinds.
    units : int or None
        Units held; ``None`` means the whole issue (``notional / denomination``).
    redeem_on : datetime.date or None
        Fixed-income redeemable only: the day the holder redeems on demand. ``None``
        means the note is held to maturity.

    Returns
    -------
    list of CashFlow
        Per-unit amounts with ``units`` attached; never empty, since every product pays
        something back at the end, even if only a fraction of par.

    Raises
    ------
    MissingPriceError
        If the path lacks a close the product must observe (a knock-out date, maturity).
    """
    held = _resolve_units(term_sheet, units)
    if redeem_on is not None and not isinstance(term_sheet, FixedIncomeRedeemable):
        raise ValueError(f"redeem_on applies only to fixed_income_redeemable, not {term_sheet.kind}")
    if isinstance(term_sheet, FixedIncomeRedeemable):
        return [_fixed_income_redemption(term_sheet, held, redeem_on)]
    if isinstance(term_sheet, FixedCoupon):
        return _fixed_coupon_flows(term_sheet, held)
    if path is None:
        raise ValueError(f"a {term_sheet.kind} product needs a price path of {term_sheet.underlying}")
    if isinstance(term_sheet, PrincipalProtected):
        return [_principal_protected_redemption(term_sheet, path, held)]
    if isinstance(term_sheet, Autocallable):
        return [_autocallable_redemption(term_sheet, path, held)]
    raise TypeError(f"no payoff for term sheet kind {term_sheet.kind!r}")


def _resolve_units(term_sheet: TermSheet, units: int | None) -> int:
    if units is None:
        return term_sheet.units_issued
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"units must be an integer, not {type(units).__name__}")
    if not 1 <= units <= term_sheet.units_issued:
        raise ValueError(f"units must be between 1 and the {term_sheet.units_issued} units issued, not {units}")
    return units


def _payment_date(term_sheet: TermSheet, event: dt.date) -> dt.date:
    return event + dt.timedelta(days=term_sheet.settlement_lag_days)


def _fixed_income_redemption(term_sheet: FixedIncomeRedeemable, units: int, redeem_on: dt.date | None) -> CashFlow:
    event = term_sheet.maturity_date if redeem_on is None else redeem_on
    amount = redemption_value(term_sheet, event)
    how = "at maturity" if event == term_sheet.maturity_date else "on demand"
    return CashFlow(
        date=_payment_date(term_sheet, event),
        event_date=event,
        kind="accrual_redemption",
        amount=amount,
        units=units,
        accrual_start=term_sheet.issue_date,
        accrual_end=event,
        year_fraction=year_fraction(term_sheet.issue_date, event, term_sheet.day_count),
        note=f"redeemed {how} at par plus interest accrued at {term_sheet.annual_rate} ({term_sheet.day_count})",
    )


def _fixed_coupon_flows(term_sheet: FixedCoupon, units: int) -> list[CashFlow]:
    par = Fraction(term_sheet.denomination)
    rate = Fraction(term_sheet.coupon_rate)
    flows = []
    start = term_sheet.issue_date
    for end in term_sheet.coupon_dates:
        yf = year_fraction(start, end, term_sheet.day_count)
        flows.append(
            CashFlow(
                date=_payment_date(term_sheet, end),
                event_date=end,
                kind="coupon",
                amount=to_cents(par * rate * yf),
                units=units,
                accrual_start=start,
                accrual_end=end,
                year_fraction=yf,
                note=f"coupon {term_sheet.coupon_rate} x {yf} ({term_sheet.day_count})",
            )
        )
        start = end
    flows.append(
        CashFlow(
            date=_payment_date(term_sheet, term_sheet.maturity_date),
            event_date=term_sheet.maturity_date,
            kind="redemption",
            amount=term_sheet.denomination,
            units=units,
            note="principal repaid at maturity",
        )
    )
    return flows


def _principal_protected_redemption(term_sheet: PrincipalProtected, path: PricePath, units: int) -> CashFlow:
    assert term_sheet.initial_fixing is not None  # guaranteed by the term sheet's checks
    final = path.at(term_sheet.maturity_date)
    performance = Fraction(final) / Fraction(term_sheet.initial_fixing) - 1
    gain = min(max(performance, Fraction(0)), Fraction(term_sheet.cap))
    factor = Fraction(term_sheet.protection) + Fraction(term_sheet.participation) * gain
    amount = Fraction(term_sheet.denomination) * factor
    if performance <= 0:
        why = "underlying at or below its initial fixing: protected amount only"
    elif gain < performance:
        why = f"underlying return above the cap of {term_sheet.cap}: capped participation"
    else:
        why = "participation in the underlying return"
    return CashFlow(
        date=_payment_date(term_sheet, term_sheet.maturity_date),
        event_date=term_sheet.maturity_date,
        kind="redemption",
        amount=to_cents(amount),
        units=units,
        underlying_close=final,
        note=why,
    )


def _autocallable_redemption(term_sheet: Autocallable, path: PricePath, units: int) -> CashFlow:
    """Scan the path: knock-out on scheduled dates first, else settle at maturity.

    Knock-in is watched on every close after the strike date (the strike date's own close
    is the initial fixing, by definition above the barrier); touching a barrier counts as
    crossing it (``>=`` for knock-out, ``<=`` for knock-in).
    """
    assert term_sheet.initial_fixing is not None  # guaranteed by the term sheet's checks
    s0 = Fraction(term_sheet.initial_fixing)
    knock_out_level = Fraction(term_sheet.knock_out_barrier) * s0
    knock_in_level = Fraction(term_sheet.knock_in_barrier) * s0
    watch_from = term_sheet.strike_date + dt.timedelta(days=1)
    watched = path.closes_between(watch_from, term_sheet.maturity_date)
    knock_in_date = next((day for day, close in watched if Fraction(close) <= knock_in_level), None)
    par = Fraction(term_sheet.denomination)
    rate = Fraction(term_sheet.coupon_rate)

    for observation in term_sheet.knock_out_dates:
        close = path.at(observation)
        if Fraction(close) >= knock_out_level:
            knocked_in = knock_in_date is not None and knock_in_date <= observation
            yf = year_fraction(term_sheet.strike_date, observation, term_sheet.day_count)
            early = observation < term_sheet.maturity_date
            return CashFlow(
                date=_payment_date(term_sheet, observation),
                event_date=observation,
                kind="early_redemption" if early else "redemption",
                amount=to_cents(par * (1 + rate * yf)),
                units=units,
                knocked_in=knocked_in,
                knock_in_date=knock_in_date if knocked_in else None,
                knock_out_date=observation,
                accrual_start=term_sheet.strike_date,
                accrual_end=observation,
                year_fraction=yf,
                underlying_close=close,
                note=(
                    f"knocked out: close {close} at or above "
                    f"{term_sheet.knock_out_barrier} x {term_sheet.initial_fixing}"
                ),
            )

    maturity = term_sheet.maturity_date
    final = path.at(maturity)
    if knock_in_date is None:
        yf = year_fraction(term_sheet.strike_date, maturity, term_sheet.day_count)
        return CashFlow(
            date=_payment_date(term_sheet, maturity),
            event_date=maturity,
            kind="redemption",
            amount=to_cents(par * (1 + rate * yf)),
            units=units,
            knocked_in=False,
            accrual_start=term_sheet.strike_date,
            accrual_end=maturity,
            year_fraction=yf,
            underlying_close=final,
            note="never knocked in or out: par plus the full coupon",
        )
    strike_level = Fraction(term_sheet.strike) * s0
    return CashFlow(
        date=_payment_date(term_sheet, maturity),
        event_date=maturity,
        kind="redemption",
        amount=to_cents(par * min(Fraction(1), Fraction(final) / strike_level)),
        units=units,
        knocked_in=True,
        knock_in_date=knock_in_date,
        underlying_close=final,
        note=f"knocked in on {knock_in_date.isoformat()}: par times min(1, final close / strike level), no coupon",
    )
