"""Fuzz the loaders (issue 5 "Proof"): random and mutated CSV bytes fed to ``read_table``
and the validator of each kind, and ``load_dataset`` on a directory of mutated files.
The only exception allowed to escape is the package's own (SaasKitError), with a message."""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saas_kit.errors import SaasKitError
from saas_kit.loading import SCHEMAS, load_dataset, read_table
from test_loading import VALID, validate

KINDS = list(VALID)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def valid_text(kind: str) -> str:
    header, rows = VALID[kind]
    return "\n".join(",".join(r) for r in [header] + rows) + "\n"


@st.composite
def mutated(draw, kind: str) -> bytes:
    """A valid file of ``kind`` after a few random edits, encoded in a random way."""
    text = valid_text(kind)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "delimiter", "quote", "unicode", "truncate", "cell"]))
        i = draw(st.integers(0, max(len(text) - 1, 0)))
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "duplicate":
            text = text[:i] + text[i:i + 1] * draw(st.integers(2, 5)) + text[i + 1:]
        elif op == "delimiter":
            text = text.replace(",", draw(st.sampled_from([";", "\t", "|", ",,", '","'])), draw(st.integers(1, 20)))
        elif op == "quote":
            text = text[:i] + '"' + text[i:]
        elif op == "unicode":
            text = text[:i] + draw(st.text(min_size=1, max_size=4)) + text[i:]
        elif op == "truncate":
            text = text[:i]
        else:  # replace one cell with a tricky value
            value = draw(st.sampled_from(["", " ", "nan", "NaT", "-1", "1e400", "1,200", "¥1,200", "2026-02-30",
                                          "9999-12-31", "0000-00-00", "99999999999999999999", "2024-01-01T99:99",
                                          "\x00", "=cmd()", "年月日", "2262-04-12", "1677-09-21", "-0", "inf"]))
            cells = text.split(",")
            j = draw(st.integers(0, max(len(cells) - 1, 0)))
            cells[j] = value
            text = ",".join(cells)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]))
    return text.encode(encoding, errors="replace")


def check(call) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a RuntimeWarning (overflow, ...) would be a bug too
            call()
    except SaasKitError as exc:
        assert str(exc).strip(), "error without a message"


def read_and_validate(data: bytes, kind: str, suffix: str = ".csv") -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{kind}{suffix}"
        path.write_bytes(data)

        def run():
            frame = validate(kind, read_table(path, kind), str(path))
            assert set(SCHEMAS[kind][0]) <= set(frame.columns)
        check(run)


@SETTINGS
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=400))
def test_random_bytes(kind, data):
    read_and_validate(data, kind)


@SETTINGS
@given(kind=st.sampled_from(KINDS), text=st.text(max_size=300))
def test_random_text(kind, text):
    read_and_validate(text.encode("utf-8"), kind)


@SETTINGS
@given(data=st.data())
def test_mutated_files_of_every_kind(data):
    kind = data.draw(st.sampled_from(KINDS))
    read_and_validate(data.draw(mutated(kind)), kind)


@SETTINGS
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=300))
def test_random_bytes_named_parquet(kind, data):
    read_and_validate(data, kind, ".parquet")


@SETTINGS
@given(data=st.data())
def test_load_dataset_on_mutated_directory(data):
    with tempfile.TemporaryDirectory() as d:
        for kind in ("subscriptions", "customers", "charges", "events", "company"):
            raw = data.draw(mutated(kind)) if data.draw(st.booleans()) else valid_text(kind).encode()
            (Path(d) / f"{kind}.csv").write_bytes(raw)

        def run():
            dataset = load_dataset(d)
            assert (dataset.customer_mrr["mrr"] > 0).all()
            assert isinstance(dataset.latest_month, pd.Period)
            dataset.warnings_table()
        check(run)
