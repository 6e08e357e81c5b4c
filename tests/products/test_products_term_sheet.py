"""Term-sheet loading: good sheets round-trip, every bad field is named in the error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from decimal import Decimal

import pytest

from rwasim.products import (
    Autocallable,
    FixedCoupon,
    FixedIncomeRedeemable,
    PrincipalProtected,
    TermSheet,
    TermSheetError,
    load_term_sheet,
    term_sheet_to_dict,
)

D = dt.date


def test_autocallable_loads_into_typed_frozen_fields(autocallable_terms):
    sheet = load_term_sheet(autocallable_terms())
    assert isinstance(sheet, Autocallable) and sheet.kind == "autocallable"
    assert sheet.denomination == Decimal("10000.00") and sheet.notional == Decimal("1000000.00")
    assert sheet.units_issued == 100
    assert sheet.issue_date == D(2026, 1, 5) and sheet.maturity_date == D(2027, 1, 5)
    assert sheet.knock_out_dates == (D(2026, 4, 8), D(2026, 7, 6), D(2026, 10, 5), D(2027, 1, 5))
    assert sheet.knock_in_barrier == Decimal("0.75")
    assert sheet.eligible_investor_classes == frozenset({"professional", "accredited"})
    assert sheet.eligible_countries == (344, 702)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sheet.coupon_rate = Decimal("0.2")  # type: ignore[misc]
    assert hash(sheet) == hash(load_term_sheet(autocallable_terms()))


@pytest.mark.parametrize(
    ("fixture", "cls"),
    [
        ("autocallable_terms", Autocallable),
        ("principal_protected_terms", PrincipalProtected),
        ("fixed_coupon_terms", FixedCoupon),
        ("fixed_income_terms", FixedIncomeRedeemable),
    ],
)
def test_every_kind_round_trips_through_plain_data(request, fixture, cls):
    sheet = load_term_sheet(request.getfixturevalue(fixture)())
    assert type(sheet) is cls
    data = term_sheet_to_dict(sheet)
    assert json.loads(json.dumps(data)) == data  # JSON-ready
    assert load_term_sheet(data) == sheet


def test_json_with_decimal_floats_and_toml_with_native_dates_load():
    text = json.dumps(
        {
            "kind": "fixed_coupon",
            "id": "FC-1",
            "issuer": "X",
            "currency": "USD",
            "denomination": 1000,
            "notional": 50000,
            "issue_date": "2026-01-05",
            "strike_date": "2026-01-05",
            "maturity_date": "2027-01-05",
            "settlement_lag_days": 0,
            "underlying": "",
            "day_count": "30/360",
            "eligible_investor_classes": ["retail"],
            "eligible_countries": [840],
            "document_hash": "0x" + "0F" * 32,
            "coupon_dates": ["2027-01-05"],
        }
    )
    text = text.replace('"coupon_dates"', '"coupon_rate": 0.035, "coupon_dates"')
    from_json = load_term_sheet(json.loads(text, parse_float=Decimal))
    assert from_json.coupon_rate == Decimal("0.035")
    assert from_json.document_hash == "0x" + "0f" * 32  # normalised to lower case
    toml = """
        kind = "fixed_coupon"
        id = "FC-1"
        issuer = "X"
        currency = "USD"
        denomination = 1000
        notional = 50000
        issue_date = 2026-01-05
        strike_date = 2026-01-05
        maturity_date = 2027-01-05
        settlement_lag_days = 0
        underlying = ""
        day_count = "30/360"
        eligible_investor_classes = ["retail"]
        eligible_countries = [840]
        document_hash = "0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
        coupon_rate = 0.035
        coupon_dates = [2027-01-05]
    """
    assert load_term_sheet(tomllib.loads(toml, parse_float=Decimal)) == from_json


def test_admits_checks_class_and_country(autocallable_terms):
    sheet = load_term_sheet(autocallable_terms())
    assert sheet.admits("professional", 344)
    assert not sheet.admits("retail", 344)
    assert not sheet.admits("professional", 840)


def test_error_message_names_the_field(autocallable_terms):
    with pytest.raises(TermSheetError) as caught:
        load_term_sheet(autocallable_terms(knock_in_barrier="1.05"))
    assert str(caught.value) == "term sheet field 'knock_in_barrier': must be between 0 and the knock-out barrier"
    assert caught.value.field == "knock_in_barrier"
    assert isinstance(caught.value, ValueError)


def test_the_abstract_base_cannot_be_built(autocallable_terms):
    common = {k: v for k, v in autocallable_terms().items() if k in {f.name for f in dataclasses.fields(TermSheet)}}
    with pytest.raises(TypeError, match="abstract"):
        TermSheet(**common)


def test_direct_construction_is_validated_too(autocallable_terms):
    fields = {k: v for k, v in autocallable_terms().items() if k != "kind"}
    sheet = Autocallable(**fields)
    assert sheet.strike == Decimal("1.00")
    with pytest.raises(TermSheetError, match="'knock_out_barrier'"):
        Autocallable(**{**fields, "knock_out_barrier": "0"})


AUTOCALL_ERRORS = [
    # (field, bad value, fragment of the message)
    ("id", "  ", "must not be empty"),
    ("issuer", 42, "must be a string"),
    ("currency", "hkd", "3-letter upper-case"),
    ("currency", "HKDX", "3-letter upper-case"),
    ("denomination", "100.001", "at most 2 decimal places"),
    ("denomination", "0", "greater than 0"),
    ("denomination", 10000.0, "not a float"),
    ("denomination", "ten", "decimal number"),
    ("denomination", "NaN", "finite"),
    ("notional", "1000050.00", "multiple of the denomination"),
    ("issue_date", "2026-02-30", "valid calendar date"),
    ("issue_date", "05/01/2026", "YYYY-MM-DD"),
    ("issue_date", dt.datetime(2026, 1, 5, 9, 30), "without a time"),
    ("strike_date", "2026-01-02", "on or after the issue date"),
    ("maturity_date", "2026-01-05", "after the strike date"),
    ("settlement_lag_days", -1, "must not be negative"),
    ("settlement_lag_days", "2", "must be an integer"),
    ("settlement_lag_days", True, "must be an integer"),
    ("underlying", "", "must name the underlying"),
    ("initial_fixing", "0", "greater than 0"),
    ("initial_fixing", None, "required when an underlying is set"),
    ("day_count", "ACT/ACT", "must be one of ACT/365F, ACT/360, 30/360"),
    ("eligible_investor_classes", [], "at least one"),
    ("eligible_investor_classes", ["institutional"], "unknown investor class 'institutional'"),
    ("eligible_investor_classes", ["retail", "retail"], "twice"),
    ("eligible_investor_classes", "retail", "must be a list"),
    ("eligible_countries", [], "at least one"),
    ("eligible_countries", [1000], "ISO 3166-1 numeric"),
    ("eligible_countries", ["344"], "integer"),
    ("eligible_countries", [344, 344], "twice"),
    ("document_hash", "0x1234", "64 hexadecimal digits"),
    ("document_hash", "ab" * 32, "64 hexadecimal digits"),
    ("coupon_rate", "-0.01", "must not be negative"),
    ("knock_out_barrier", "-1", "greater than 0"),
    ("knock_in_barrier", "0", "between 0 and the knock-out barrier"),
    ("knock_in_barrier", "1.03", "between 0 and the knock-out barrier"),
    ("strike", "0", "greater than 0"),
    ("knock_out_dates", [], "at least one date"),
    ("knock_out_dates", ["2026-07-06", "2026-04-06"], "strictly increasing"),
    ("knock_out_dates", ["2026-04-06", "2026-04-06"], "strictly increasing"),
    ("knock_out_dates", ["2026-01-05"], "after the strike date"),
    ("knock_out_dates", ["2026-04-06", "2027-01-06"], "no later than the maturity date"),
    ("knock_out_dates", ["2026-04-06", "soon"], "item 1"),
    ("knock_out_dates", "2026-04-06", "must be a list"),
]


@pytest.mark.parametrize(("field", "value", "fragment"), AUTOCALL_ERRORS)
def test_autocallable_field_errors(autocallable_terms, field, value, fragment):
    with pytest.raises(TermSheetError) as caught:
        load_term_sheet(autocallable_terms(**{field: value}))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"term sheet field '{field}': ")
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("fixture", "field", "value", "fragment"),
    [
        ("principal_protected_terms", "protection", "-0.1", "must not be negative"),
        ("principal_protected_terms", "participation", "x", "decimal number"),
        ("principal_protected_terms", "cap", "-0.2", "must not be negative"),
        ("fixed_coupon_terms", "coupon_dates", ["2026-07-06"], "must end on the maturity date"),
        ("fixed_coupon_terms", "coupon_dates", ["2026-01-05", "2027-01-05"], "after the issue date"),
        ("fixed_coupon_terms", "initial_fixing", "20000", "omitted when no underlying"),
        ("fixed_income_terms", "settlement_lag_days", 2, "must be 0 for a fixed_income_redeemable"),
        ("fixed_income_terms", "annual_rate", "-0.04", "must not be negative"),
    ],
)
def test_other_kinds_field_errors(request, fixture, field, value, fragment):
    with pytest.raises(TermSheetError) as caught:
        load_term_sheet(request.getfixturevalue(fixture)(**{field: value}))
    assert caught.value.field == field
    assert fragment in str(caught.value)


def test_missing_unknown_and_kind_errors(autocallable_terms):
    terms = autocallable_terms()
    del terms["issuer"]
    with pytest.raises(TermSheetError, match="^term sheet field 'issuer': is required$"):
        load_term_sheet(terms)
    with pytest.raises(TermSheetError, match="'knock_out_date': is not a field of a autocallable"):
        load_term_sheet(autocallable_terms(knock_out_date="2026-04-06"))
    with pytest.raises(TermSheetError, match="'annual_rate': is not a field"):
        load_term_sheet(autocallable_terms(annual_rate="0.04"))
    with pytest.raises(TermSheetError, match="'kind': must be one of"):
        load_term_sheet(autocallable_terms(kind="reverse_convertible"))
    no_kind = autocallable_terms()
    del no_kind["kind"]
    with pytest.raises(TermSheetError, match="'kind': is required"):
        load_term_sheet(no_kind)
    with pytest.raises(TypeError):
        load_term_sheet([("kind", "autocallable")])  # type: ignore[arg-type]


def test_initial_fixing_may_be_omitted_without_an_underlying(fixed_coupon_terms):
    sheet = load_term_sheet(fixed_coupon_terms())
    assert sheet.underlying == "" and sheet.initial_fixing is None
    assert "initial_fixing" not in term_sheet_to_dict(sheet)
