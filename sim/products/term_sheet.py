"""Term sheets: the validated, immutable description of one structured product.

A term sheet arrives as a plain mapping (parsed JSON or TOML) and leaves as a frozen
dataclass whose every field has been checked, so the payoff engine and the issuer never
have to second-guess a value. A bad field raises :class:`TermSheetError`, whose message
names the field, because a term sheet is written by a person who needs to know which line
to fix.

Money and rates are :class:`decimal.Decimal`; floats are refused because ``0.1`` as a
binary float is not 0.1. Load JSON with ``json.loads(text, parse_float=Decimal)`` and TOML
with ``tomllib.loads(text, parse_float=Decimal)``, or write the numbers as strings.
Dates are :class:`datetime.date` objects or ``YYYY-MM-DD`` strings.

Scheduled dates (knock-out observations, coupon dates, the maturity) are moved to business
days of the sheet's ``holiday_calendar`` by its ``business_day_convention`` when the sheet is
loaded (default: Hong Kong general holidays, Modified Following), so a date on a holiday is
settled once, here, instead of failing months later with ``MissingPriceError``; with the
convention ``"none"`` such a date is refused, naming the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from rwasim.products.calendar import BUSINESS_DAY_CONVENTIONS, CALENDARS, CalendarError, HolidayCalendar
from rwasim.products.day_count import CONVENTIONS

CENT = Decimal("0.01")

#: Investor classes a term sheet may admit.
INVESTOR_CLASSES: frozenset[str] = frozenset({"professional", "accredited", "retail"})

_CURRENCY = re.compile(r"[A-Z]{3}")
_DOCUMENT_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class TermSheetError(ValueError):
    """A term-sheet field is missing, unknown, mistyped or out of range.

    Parameters
    ----------
    field : str
        The offending field, so the author knows which line to fix.
    message : str
        What is wrong with it.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"term sheet field '{field}': {message}")


class _Invalid(Exception):
    """Raised by a parser or check; turned into a TermSheetError naming the field."""


# ---------------------------------------------------------------------------------------
# Parsers: turn an input representation into the field's type (idempotent on that type).
# ---------------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    return type(value).__name__


def _parse_text(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {_type_name(value)}")
    return value


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _Invalid("must be a decimal number, not a boolean")
    if isinstance(value, float):
        raise _Invalid(
            "must be a decimal string or an integer, not a float (binary floats are inexact; "
            "parse JSON or TOML with parse_float=decimal.Decimal)"
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _Invalid(f"must be a decimal number, not {value!r}") from None
    else:
        raise _Invalid(f"must be a decimal number, not {_type_name(value)}")
    if not number.is_finite():
        raise _Invalid("must be a finite number")
    return number


def _parse_money(value: object) -> Decimal:
    amount = _parse_decimal(value)
    try:
        rounded = amount.quantize(CENT)
    except InvalidOperation:
        raise _Invalid("is too large") from None
    if rounded != amount:
        raise _Invalid("must have at most 2 decimal places")
    return rounded


def _parse_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"must be an integer, not {_type_name(value)}")
    return value


def _parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _Invalid("must be a date without a time of day")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise _Invalid(f"must be a date written YYYY-MM-DD, not {value!r}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Invalid(f"is not a valid calendar date: {value!r}") from None
    raise _Invalid(f"must be a date, not {_type_name(value)}")


def _parse_date_list(value: object) -> tuple[dt.date, ...]:
    if not isinstance(value, (list, tuple)):
        raise _Invalid(f"must be a list of dates, not {_type_name(value)}")
    parsed = []
    for index, item in enumerate(value):
        try:
            parsed.append(_parse_date(item))
        except _Invalid as exc:
            raise _Invalid(f"item {index} {exc}") from None
    return tuple(parsed)


def _parse_currency(value: object) -> str:
    code = _parse_text(value)
    if not _CURRENCY.fullmatch(code):
        raise _Invalid(f"must be a 3-letter upper-case ISO 4217 code such as 'HKD' or 'USD', not {code!r}")
    return code


def _parse_day_count(value: object) -> str:
    convention = _parse_text(value)
    if convention not in CONVENTIONS:
        raise _Invalid(f"must be one of {', '.join(CONVENTIONS)}, not {convention!r}")
    return convention


def _parse_business_day_convention(value: object) -> str:
    convention = _parse_text(value)
    if convention not in BUSINESS_DAY_CONVENTIONS:
        raise _Invalid(f"must be one of {', '.join(BUSINESS_DAY_CONVENTIONS)}, not {convention!r}")
    return convention


def _parse_holiday_calendar(value: object) -> str:
    name = _parse_text(value)
    if name not in CALENDARS:
        raise _Invalid(f"must be one of {', '.join(CALENDARS)}, not {name!r}")
    return name


def _parse_investor_classes(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise _Invalid(f"must be a list of investor classes, not {_type_name(value)}")
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise _Invalid(f"must contain strings, not {_type_name(item)}")
        if item not in INVESTOR_CLASSES:
            raise _Invalid(f"unknown investor class {item!r}; allowed: {', '.join(sorted(INVESTOR_CLASSES))}")
        if item in seen:
            raise _Invalid(f"lists {item!r} twice")
        seen.add(item)
    if not seen:
        raise _Invalid("must admit at least one investor class")
    return frozenset(seen)


def _parse_countries(value: object) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)):
        raise _Invalid(f"must be a list of ISO 3166-1 numeric country codes, not {_type_name(value)}")
    codes: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise _Invalid(f"must contain integer ISO 3166-1 numeric codes, not {_type_name(item)} {item!r}")
        if not 1 <= item <= 999:
            raise _Invalid(f"{item} is not an ISO 3166-1 numeric code (1..999)")
        if item in codes:
            raise _Invalid(f"lists {item} twice")
        codes.append(item)
    if not codes:
        raise _Invalid("must list at least one country")
    return tuple(codes)


def _parse_document_hash(value: object) -> str:
    digest = _parse_text(value)
    if not _DOCUMENT_HASH.fullmatch(digest):
        raise _Invalid("must be '0x' followed by 64 hexadecimal digits")
    return digest.lower()


# ---------------------------------------------------------------------------------------
# Checks: range and cross-field rules. They may read only fields declared earlier.
# ---------------------------------------------------------------------------------------

_Check = Callable[[Any, Any], None]


def _non_empty(sheet: TermSheet, value: str) -> None:
    if not value.strip():
        raise _Invalid("must not be empty")


def _positive(sheet: TermSheet, value: Decimal) -> None:
    if value <= 0:
        raise _Invalid("must be greater than 0")


def _not_negative(sheet: TermSheet, value: Decimal | int) -> None:
    if value < 0:
        raise _Invalid("must not be negative")


def _check_notional(sheet: TermSheet, value: Decimal) -> None:
    if value <= 0 or value % sheet.denomination != 0:
        raise _Invalid(f"must be a positive multiple of the denomination ({sheet.denomination})")


def _check_strike_date(sheet: TermSheet, value: dt.date) -> None:
    if value < sheet.issue_date:
        raise _Invalid(f"must be on or after the issue date ({sheet.issue_date.isoformat()})")


def _check_maturity_date(sheet: TermSheet, value: dt.date) -> None:
    if value <= sheet.strike_date:
        raise _Invalid(f"must be after the strike date ({sheet.strike_date.isoformat()})")


def _check_settlement_lag(sheet: TermSheet, value: int) -> None:
    if value < 0:
        raise _Invalid("must not be negative")
    if sheet.fixed_settlement_lag is not None and value != sheet.fixed_settlement_lag:
        raise _Invalid(f"must be {sheet.fixed_settlement_lag} for a {sheet.kind} product")


def _check_underlying(sheet: TermSheet, value: str) -> None:
    if sheet.requires_underlying and not value.strip():
        raise _Invalid(f"must name the underlying of a {sheet.kind} product")


def _check_initial_fixing(sheet: TermSheet, value: Decimal | None) -> None:
    if sheet.underlying.strip():
        if value is None:
            raise _Invalid("is required when an underlying is set")
        if value <= 0:
            raise _Invalid("must be greater than 0")
    elif value is not None:
        raise _Invalid("must be omitted when no underlying is set")


def _check_knock_in(sheet: Autocallable, value: Decimal) -> None:
    if not 0 < value < sheet.knock_out_barrier:
        raise _Invalid("must be between 0 and the knock-out barrier")
    if value >= 1:
        raise _Invalid(f"must be below 1 (100% of the initial fixing), not {value}: the note would knock in at once")


def _strictly_increasing(dates: tuple[dt.date, ...]) -> None:
    if not dates:
        raise _Invalid("must list at least one date")
    for earlier, later in zip(dates, dates[1:]):
        if later <= earlier:
            raise _Invalid(f"must be strictly increasing ({later.isoformat()} follows {earlier.isoformat()})")


def _check_knock_out_dates(sheet: Autocallable, value: tuple[dt.date, ...]) -> None:
    _strictly_increasing(value)
    if value[0] <= sheet.strike_date:
        raise _Invalid(f"must be after the strike date ({sheet.strike_date.isoformat()})")
    if value[-1] > sheet.maturity_date:
        raise _Invalid(f"must be no later than the maturity date ({sheet.maturity_date.isoformat()})")


def _check_coupon_dates(sheet: FixedCoupon, value: tuple[dt.date, ...]) -> None:
    _strictly_increasing(value)
    if value[0] <= sheet.issue_date:
        raise _Invalid(f"must be after the issue date ({sheet.issue_date.isoformat()})")
    if value[-1] != sheet.maturity_date:
        raise _Invalid(f"must end on the maturity date ({sheet.maturity_date.isoformat()})")


def _adjust_date(sheet: TermSheet, value: dt.date) -> dt.date:
    """``value`` on a business day by the sheet's convention (``none`` refuses a non-business day)."""
    try:
        return sheet.calendar.adjust(value, sheet.business_day_convention)
    except CalendarError as exc:
        raise _Invalid(str(exc)) from None


def _adjust_dates(sheet: TermSheet, value: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
    adjusted = []
    for index, day in enumerate(value):
        try:
            adjusted.append(_adjust_date(sheet, day))
        except _Invalid as exc:
            raise _Invalid(f"item {index} {exc}") from None
    return tuple(adjusted)


_NO_DEFAULT: Any = object()


def _spec(
    parse: Callable[[object], Any],
    check: _Check | None = None,
    *,
    optional: bool = False,
    default: Any = _NO_DEFAULT,
    adjust: Callable[[Any, Any], Any] | None = None,
) -> Any:
    """A dataclass field that knows how to parse, adjust (to business days) and check itself."""
    metadata = {"parse": parse, "check": check, "optional": optional, "adjust": adjust}
    if optional:
        return field(default=None, metadata=metadata)
    if default is not _NO_DEFAULT:
        return field(default=default, metadata=metadata)
    return field(metadata=metadata)


# ---------------------------------------------------------------------------------------
# Term sheets
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TermSheet:
    """Fields every product shares; use one of the product subclasses.

    Constructing any subclass (directly or through :func:`load_term_sheet`) parses and
    checks every field in declaration order and raises :class:`TermSheetError` on the first
    bad one. ``denomination`` is the face value of one unit (one token) and is the ``N`` of
    the per-unit payoff formulas; ``notional`` is the size of the whole issue.
    """

    kind: ClassVar[str] = ""
    requires_underlying: ClassVar[bool] = False
    fixed_settlement_lag: ClassVar[int | None] = None

    id: str = _spec(_parse_text, _non_empty)
    issuer: str = _spec(_parse_text, _non_empty)
    currency: str = _spec(_parse_currency)
    denomination: Decimal = _spec(_parse_money, _positive)
    notional: Decimal = _spec(_parse_money, _check_notional)
    business_day_convention: str = _spec(_parse_business_day_convention, default="modified_following")
    holiday_calendar: str = _spec(_parse_holiday_calendar, default="HK")
    issue_date: dt.date = _spec(_parse_date)
    strike_date: dt.date = _spec(_parse_date, _check_strike_date)
    maturity_date: dt.date = _spec(_parse_date, _check_maturity_date, adjust=_adjust_date)
    settlement_lag_days: int = _spec(_parse_int, _check_settlement_lag)
    underlying: str = _spec(_parse_text, _check_underlying)
    initial_fixing: Decimal | None = _spec(_parse_decimal, _check_initial_fixing, optional=True)
    day_count: str = _spec(_parse_day_count)
    eligible_investor_classes: frozenset[str] = _spec(_parse_investor_classes)
    eligible_countries: tuple[int, ...] = _spec(_parse_countries)
    document_hash: str = _spec(_parse_document_hash)

    def __post_init__(self) -> None:
        if not self.kind:
            raise TypeError("TermSheet is abstract; construct a product kind such as Autocallable")
        for spec in fields(self):
            value = getattr(self, spec.name)
            try:
                if not (spec.metadata["optional"] and value is None):
                    value = spec.metadata["parse"](value)
                    if spec.metadata["adjust"] is not None:
                        value = spec.metadata["adjust"](self, value)
                    object.__setattr__(self, spec.name, value)
                check = spec.metadata["check"]
                if check is not None:
                    check(self, value)
            except _Invalid as exc:
                raise TermSheetError(spec.name, str(exc)) from None

    @property
    def calendar(self) -> HolidayCalendar:
        """The holiday calendar the sheet's dates are adjusted on (and its price path is sampled on)."""
        return CALENDARS[self.holiday_calendar]

    def business_days(self, start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
        """The calendar's business days from ``start`` (the strike date) to ``end`` (the maturity):
        the days a price path of the underlying has closes on."""
        return self.calendar.business_days(start or self.strike_date, end or self.maturity_date)

    @property
    def units_issued(self) -> int:
        """How many units (tokens) of ``denomination`` make up the notional."""
        return int(self.notional / self.denomination)

    def admits(self, investor_class: str, country: int) -> bool:
        """Whether an investor of this class and ISO numeric country may hold the product."""
        return investor_class in self.eligible_investor_classes and country in self.eligible_countries


@dataclass(frozen=True, kw_only=True)
class FixedIncomeRedeemable(TermSheet):
    """A note accruing ``annual_rate`` daily from the issue date, redeemable on demand.

    Redemption pays par plus accrued interest and settles the same day (T+0), so
    ``settlement_lag_days`` must be 0. Interest stops accruing at maturity.
    """

    kind: ClassVar[str] = "fixed_income_redeemable"
    fixed_settlement_lag: ClassVar[int | None] = 0

    annual_rate: Decimal = _spec(_parse_decimal, _not_negative)


@dataclass(frozen=True, kw_only=True)
class PrincipalProtected(TermSheet):
    """Pays ``N * (protection + participation * min(max(S_T/S_0 - 1, 0), cap))`` at maturity."""

    kind: ClassVar[str] = "principal_protected"
    requires_underlying: ClassVar[bool] = True

    protection: Decimal = _spec(_parse_decimal, _not_negative)
    participation: Decimal = _spec(_parse_decimal, _not_negative)
    cap: Decimal = _spec(_parse_decimal, _not_negative)


@dataclass(frozen=True, kw_only=True)
class Autocallable(TermSheet):
    """A snowball autocallable: knock-out on scheduled dates, knock-in on any daily close.

    Barriers and ``strike`` are fractions of ``initial_fixing``. The coupon accrues at
    ``coupon_rate`` per year (on ``day_count``) from the strike date, the day the initial
    fixing is struck and observation starts.
    """

    kind: ClassVar[str] = "autocallable"
    requires_underlying: ClassVar[bool] = True

    coupon_rate: Decimal = _spec(_parse_decimal, _not_negative)
    knock_out_barrier: Decimal = _spec(_parse_decimal, _positive)
    knock_in_barrier: Decimal = _spec(_parse_decimal, _check_knock_in)
    strike: Decimal = _spec(_parse_decimal, _positive)
    knock_out_dates: tuple[dt.date, ...] = _spec(_parse_date_list, _check_knock_out_dates, adjust=_adjust_dates)


@dataclass(frozen=True, kw_only=True)
class FixedCoupon(TermSheet):
    """Pays ``N * coupon_rate * yf`` on each coupon date and the principal at maturity.

    The first coupon period starts on the issue date; each later one on the previous
    coupon date. The last coupon date is the maturity date.
    """

    kind: ClassVar[str] = "fixed_coupon"

    coupon_rate: Decimal = _spec(_parse_decimal, _not_negative)
    coupon_dates: tuple[dt.date, ...] = _spec(_parse_date_list, _check_coupon_dates, adjust=_adjust_dates)


#: Product kind (the ``kind`` field of a term sheet) to its class.
KINDS: dict[str, type[TermSheet]] = {
    cls.kind: cls for cls in (FixedIncomeRedeemable, PrincipalProtected, Autocallable, FixedCoupon)
}


def load_term_sheet(data: Mapping[str, Any]) -> TermSheet:
    """Build a validated term sheet from a plain mapping, as parsed from JSON or TOML.

    Parameters
    ----------
    data : Mapping[str, Any]
        The fields, including ``kind`` (one of :data:`KINDS`). Unknown fields are refused
        so that a misspelt optional field cannot silently vanish.

    Returns
    -------
    TermSheet
        An instance of the product class for ``kind``.

    Raises
    ------
    TermSheetError
        Naming the first missing, unknown or invalid field.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"a term sheet must be a mapping, not {_type_name(data)}")
    if "kind" not in data:
        raise TermSheetError("kind", "is required")
    kind = data["kind"]
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise TermSheetError("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    specs = fields(cls)
    known = {spec.name for spec in specs}
    for key in data:
        if key != "kind" and key not in known:
            raise TermSheetError(str(key), f"is not a field of a {kind} term sheet")
    for spec in specs:
        if spec.name not in data and spec.default is dataclasses.MISSING:
            raise TermSheetError(spec.name, "is required")
    return cls(**{key: value for key, value in data.items() if key != "kind"})


def term_sheet_to_dict(sheet: TermSheet) -> dict[str, Any]:
    """The term sheet as JSON-ready plain data that :func:`load_term_sheet` reads back.

    Decimals become strings (exact), dates ISO strings, investor classes a sorted list;
    an absent ``initial_fixing`` is left out.
    """
    out: dict[str, Any] = {"kind": sheet.kind}
    for spec in fields(sheet):
        value = getattr(sheet, spec.name)
        if value is None:
            continue
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = [item.isoformat() if isinstance(item, dt.date) else item for item in value]
        out[spec.name] = value
    return out
