"""Tests of saas_kit.kpis: the activation-rate KPI row (metrics.md §7, seed 004)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import customer_months
from saas_kit import kpis
from saas_kit.activation import activation_cohort, onboarding_scope
from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import Dataset


def _dataset(customers, events) -> Dataset:
    cust = pd.DataFrame(customers, columns=["customer_id", "signup_date"])
    cust["signup_date"] = pd.to_datetime(cust["signup_date"])
    ev = pd.DataFrame(events, columns=["customer_id", "event", "timestamp"])
    ev["timestamp"] = pd.to_datetime(ev["timestamp"])
    mrr = customer_months([(c, "2026-10", 1000) for c, _ in customers])
    return Dataset(directory=Path("."), currency="JPY", customer_mrr=mrr, customers=cust, events=ev)


# Rule invite>=2@14d. By hand:
#  cohort 2025-08: P signed up before the event log starts (first event 2025-09-03) -> excluded
#  cohort 2025-09: Y1 activated, Y2 one invite only                      -> 1/2 = 50%
#  cohort 2026-08: A1 activated; A2, A3, A4 not                           -> 1/4 = 25%
#  cohort 2026-09: S1 (2nd invite at day 13 23:59, inside), S3, S4 (signed up on the 30th,
#                  invites in October) activated; S2's 2nd invite at day 14 00:00 is outside
#                  the half-open window                                    -> 3/4 = 75%
#  cohort 2026-10: O1, window still open at the end of October -> not the report cohort
CUSTOMERS = [
    ("P", "2025-08-20"), ("Y1", "2025-09-01"), ("Y2", "2025-09-02"),
    ("A1", "2026-08-01"), ("A2", "2026-08-05"), ("A3", "2026-08-10"), ("A4", "2026-08-31"),
    ("S1", "2026-09-01"), ("S2", "2026-09-01"), ("S3", "2026-09-15"), ("S4", "2026-09-30"),
    ("O1", "2026-10-25"),
]
EVENTS = [
    ("Y1", "invite", "2025-09-03 10:00"), ("Y1", "invite", "2025-09-05 10:00"),
    ("Y2", "invite", "2025-09-04 10:00"), ("Y2", "login", "2025-09-04 11:00"),
    ("A1", "invite", "2026-08-02 09:00"), ("A1", "invite", "2026-08-03 09:00"),
    ("A2", "invite", "2026-08-06 09:00"), ("A2", "invite", "2026-08-30 09:00"),
    ("S1", "invite", "2026-09-01 00:00"), ("S1", "invite", "2026-09-14 23:59"),
    ("S2", "invite", "2026-09-01 00:00"), ("S2", "invite", "2026-09-15 00:00"),
    ("S3", "invite", "2026-09-15 12:00"), ("S3", "invite", "2026-09-16 12:00"),
    ("S4", "invite", "2026-10-01 08:00"), ("S4", "invite", "2026-10-02 08:00"),
    ("O1", "invite", "2026-10-26 08:00"), ("O1", "invite", "2026-11-02 08:00"),
]


def test_activation_cohort_is_latest_month_with_all_windows_closed():
    # 14 days: signups up to 30 Sep close by 14 Oct, before 1 Nov
    assert activation_cohort("2026-10", 14) == pd.Period("2026-09", "M")
    # 45 days: a 30 Sep signup closes on 14 Nov, after 1 Nov -> August (31 Aug + 45 d = 15 Oct)
    assert activation_cohort("2026-10", 45) == pd.Period("2026-08", "M")
    # February report, 30 days: a 31 Jan signup closes on 2 Mar, after 1 Mar -> December
    assert activation_cohort("2026-02", 30) == pd.Period("2025-12", "M")
    assert activation_cohort("2026-03", 30) == pd.Period("2026-02", "M")


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "14"])
def test_activation_cohort_rejects_bad_window(bad):
    with pytest.raises(ParameterError):
        activation_cohort("2026-10", bad)


def test_activation_kpis_by_hand():
    ds = _dataset(CUSTOMERS, EVENTS)
    out = kpis.activation_kpis(ds, "2026-10", "invite>=2@14d", "en")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["key"] == "activation_rate"
    assert row["cohort"] == pd.Period("2026-09", "M")
    assert row["signups"] == 4
    assert row["value"] == pytest.approx(0.75)
    assert row["previous_month"] == pytest.approx(0.25)
    assert row["year_ago"] == pytest.approx(0.50)
    assert (row["value_text"], row["mom_text"], row["yoy_text"]) == ("75.0%", "+50.0 pt", "+25.0 pt")
    assert "no benchmark" in row["band"] and "2026-09" in row["band"]
    # same columns as headline_kpis, so glue_kpis can glue it
    for col in ("key", "metric", "value", "previous_month", "year_ago", "value_text", "mom_text", "yoy_text", "band"):
        assert col in out.columns
    # percentages print the same in the Japanese style
    ja = kpis.activation_kpis(ds, "2026-10", "invite>=2@14d", "ja").iloc[0]
    assert ja["value_text"] == "75.0%"


def test_activation_kpis_cohort_before_event_log_is_nan():
    ds = _dataset(CUSTOMERS, EVENTS)
    row = kpis.activation_kpis(ds, "2025-09", "invite>=2@14d").iloc[0]
    assert row["cohort"] == pd.Period("2025-08", "M")  # P's cohort: signed up before tracking began
    assert np.isnan(row["value"])
    assert row["value_text"] == "n/a" and row["mom_text"] == "n/a"


def test_onboarding_scope_excludes_untracked_signups_and_later_events():
    ds = _dataset(CUSTOMERS, EVENTS)
    scope = onboarding_scope(ds, "2026-09")
    assert scope.as_of == pd.Timestamp("2026-10-01")
    assert scope.events_start == pd.Timestamp("2025-09-01")
    assert "P" not in set(scope.customers["customer_id"])
    assert "P" in set(scope.all_customers["customer_id"])
    assert set(scope.customers["customer_id"]) == {"Y1", "Y2", "A1", "A2", "A3", "A4", "S1", "S2", "S3", "S4"}
    assert (scope.events["timestamp"] < pd.Timestamp("2026-10-01")).all()
    assert len(scope.events) == 18 - 4  # S4's two October and O1's two events are after as_of


def test_activation_kpis_needs_events():
    ds = _dataset(CUSTOMERS, EVENTS)
    ds.events = None
    with pytest.raises(DataError):
        kpis.activation_kpis(ds, "2026-10")
    with pytest.raises(ParameterError):
        kpis.activation_kpis(_dataset(CUSTOMERS, EVENTS), "2026-10", "not a rule")


def test_band_texts_take_their_figures_from_the_band_table(monkeypatch):
    """Move a band in the table and the overview's text moves with it (no figure re-typed in kpis)."""
    import dataclasses

    from saas_kit import bands

    assert kpis.band_text("nrr_ttm", 1.15) == ("above the Japanese B2B average (102.1%); within the US IPO "
                                               "median (110–120%) [seeds 000, 003]")
    assert kpis.band_text("grr_ttm", 0.85).endswith("[seed 000]; this is 80–90%")
    assert kpis.band_text("arr", 2e9) == "past the ¥1B milestone [seeds 002, 004]"
    moved = tuple(dataclasses.replace(b, low=1.30, high=1.40) if b.label.startswith("US SaaS at IPO") else b
                  for b in bands.BANDS)
    monkeypatch.setattr(bands, "BANDS", moved)
    assert "below the US IPO median (130–140%)" in kpis.band_text("nrr_ttm", 1.15)
