"""``saas-kit import stripe-invoice-lines|invoice-lines --engine spark`` (issue 12; metrics.md §8).

Every expected value is the embedded import's on the same export: the MRR and charges rows
(``mrr.csv`` against the Parquet folder ``mrr.parquet``, cell for cell as text), the
summary (word for word, ``.csv`` read as ``.parquet``), the error message of a bad export
(file, row, column and words), and what the other commands make of the folder.
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spark_guard import skip_without_spark

skip_without_spark()

from saas_kit.cli import main  # noqa: E402

STRIPE = ("id,invoice_id,customer,subscription,type,amount,discount_amount,tax_amount,currency,period_start,"
          "period_end,proration,quantity,description\n")
GENERIC = ("customer_id,subscription_id,type,service_period_start,service_period_end,amount,discount_amount,"
           "tax_amount,prorated,currency,date,description\n")


def _parquet_text(folder) -> list[list[str]]:
    frame = pd.read_parquet(folder, dtype_backend="pyarrow").astype(str)
    return [list(frame.columns)] + frame.values.tolist()


def _csv_text(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def import_both(tmp_path, capsys, fmt: str, exports: list, *extra: str):
    """Run the import on both engines; assert the same outcome; return (code, embedded
    folder, Spark folder, stderr)."""
    emb, spk = tmp_path / "embedded", tmp_path / "spark"
    argv = ["import", fmt, *map(str, exports), *extra]
    capsys.readouterr()
    code = main([*argv, "--out", str(emb)])
    out_e, err_e = capsys.readouterr()
    code_s = main([*argv, "--out", str(spk), "--engine", "spark"])
    out_s, err_s = capsys.readouterr()
    assert (code_s, err_s) == (code, err_e)
    if code != 0:
        assert not spk.exists() or not any(spk.iterdir())  # nothing written, no staging folder left
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        return code, emb, spk, err_e
    assert _parquet_text(spk / "mrr.parquet") == _csv_text(emb / "mrr.csv")
    assert (spk / "charges.parquet").exists() == (emb / "charges.csv").exists()
    if (emb / "charges.csv").exists():
        assert _parquet_text(spk / "charges.parquet") == _csv_text(emb / "charges.csv")
    assert _as_csv((spk / "import-summary.txt").read_text()) == (emb / "import-summary.txt").read_text()
    assert _as_csv(out_s).replace(str(spk), str(emb)) == out_e
    return code, emb, spk, err_e


def _as_csv(text: str) -> str:
    return text.replace("mrr.parquet", "mrr.csv").replace("charges.parquet", "charges.csv")


def _write(tmp_path, text: str, name: str = "lines.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _movements(folder, capsys, engine: str = "embedded") -> str:
    capsys.readouterr()
    assert main(["movements", str(folder), "--engine", engine]) == 0
    return capsys.readouterr().out


# ----------------------------------------------------------------------------- the rules

PRORATIONS = STRIPE + "\n".join([
    # $50 upgraded to $100 on 16 April (metrics.md §8), cent residues on 14 April for cus_B
    "il_1,in_1,cus_A,sub_A,subscription,5000,0,500,usd,2026-03-01,2026-04-01,false,1,Basic",
    "il_2,in_2,cus_A,sub_A,subscription,5000,0,500,usd,2026-04-01,2026-05-01,false,1,Basic",
    "il_3,in_3,cus_A,sub_A,invoiceitem,-2500,0,0,usd,2026-04-16,2026-05-01,true,1,Unused time on Basic",
    "il_4,in_3,cus_A,sub_A,invoiceitem,5000,0,0,usd,2026-04-16,2026-05-01,true,1,Remaining time on Pro",
    "il_5,in_4,cus_A,sub_A,subscription,10000,0,1000,usd,2026-05-01,2026-06-01,false,1,Pro",
    "il_6,in_5,cus_B,sub_B,subscription,5000,0,0,usd,2026-04-01,2026-05-01,false,1,Basic",
    "il_7,in_6,cus_B,sub_B,invoiceitem,-2833,0,0,usd,2026-04-14,2026-05-01,true,1,Unused time on Basic",
    "il_8,in_6,cus_B,sub_B,invoiceitem,5667,0,0,usd,2026-04-14,2026-05-01,true,1,Remaining time on Pro",
    "il_9,in_7,cus_B,sub_B,subscription,10000,0,0,usd,2026-05-01,2026-06-01,false,1,Pro",
    # annual with a discount, a setup fee, a goodwill credit
    "il_10,in_8,cus_C,sub_C,subscription,120000,20000,0,usd,2026-01-15,2027-01-15,false,1,Annual -20%",
    "il_11,in_9,cus_C,,invoiceitem,30000,0,0,usd,2026-01-15,2026-01-15,false,1,Setup fee",
    "il_12,in_10,cus_C,,invoiceitem,-1000,0,0,usd,2026-02-01,2026-02-01,false,1,Goodwill credit",
    "il_13,in_11,cus_C,,invoiceitem,0,0,0,usd,,,false,1,",
    # a partial month with no full-period line (rounded to the cent), a credit on a subscription
    "il_14,in_12,cus_D,sub_D,subscription,3333,0,0,usd,2026-01-20,2026-02-10,false,1,Partial",
    "il_15,in_13,cus_D,sub_D,subscription,-500,0,0,usd,2026-02-01,2026-03-01,false,1,Credit",
    # a credit proration larger than the month's charges: a customer-month below zero
    "il_16,in_14,cus_E,sub_E,subscription,1000,0,0,usd,2026-03-01,2026-04-01,false,1,Small",
    "il_17,in_15,cus_E,sub_E,invoiceitem,-4000,0,0,usd,2026-03-01,2026-04-01,true,1,Big credit",
    # two full-period prices as near to a half-month proration: the smaller one is taken
    "il_18,in_16,cus_F,sub_F,subscription,4999,0,0,usd,2026-04-01,2026-05-01,false,1,Low",
    "il_19,in_17,cus_F,sub_F,subscription,5001,0,0,usd,2026-05-01,2026-06-01,false,1,High",
    "il_20,in_18,cus_F,sub_F,invoiceitem,2500,0,0,usd,2026-04-16,2026-05-01,true,1,Half",
    # an offset converted to UTC, Unix seconds, a period ending inside its first month
    "il_21,in_19,cus_G,sub_G,subscription,1000,0,0,usd,2026-03-01T00:00:00+09:00,1775001600,false,1,tz",
    "il_22,in_20,cus_G,sub_G,subscription,700,0,0,usd,2026-04-03,2026-04-20,false,1,inside",
    # months after the last complete month are not written
    "il_23,in_21,cus_H,sub_H,subscription,9900,0,0,usd,2026-05-01,2026-08-01,false,1,Quarter",
]) + "\n"


def test_prorations_residues_annual_credits_and_ties_equal_the_embedded_import(tmp_path, capsys):
    code, emb, spk, _ = import_both(tmp_path, capsys, "stripe-invoice-lines", [_write(tmp_path, PRORATIONS)],
                                    "--as-of", "2026-06-01")
    assert code == 0
    summary = (spk / "import-summary.txt").read_text()
    for words in ("customer-month below zero", "cus_E 2026-03", "rounded to the minor unit",
                  "months after 2026-05", "zero-amount one-off line", "(written to charges.parquet)"):
        assert words in summary
    mrr = pd.read_parquet(spk / "mrr.parquet")
    assert mrr.set_index(["customer_id", "month"]).loc[("cus_F", "2026-04"), "mrr"] == "99.98"  # 49.99 + 49.99
    # both folders load on both engines with the same bridge
    expected = _movements(emb, capsys)
    assert _movements(spk, capsys) == expected
    assert _movements(spk, capsys, "spark") == expected


def test_generic_lines_with_a_mapping_major_units_and_thousands_separators(tmp_path, capsys):
    text = GENERIC.replace("customer_id", "cust") + "\n".join([
        "K1,S1,subscription,2026-01-01,2026-04-01,\"3,000.00\",0,300,false,EUR,2026-01-01,Quarterly",
        "K1,S1,subscription,2026-04-01,2026-07-01,3000,0,300,false,EUR,2026-04-01,Quarterly",
        "K2,S2,subscription,2026-02-01,2026-03-01,500.5,50.05,0,false,EUR,2026-02-01,Monthly",
        "K2,,one_time,,,1000,0,0,false,EUR,2026-02-01,Onboarding",
        "K2,S2,,2026-04-01,2026-05-01,500.5,50.05,0,no,EUR,2026-04-01,",
        ",,,,,,,,,,,",
    ]) + "\n"
    code, _, _, _ = import_both(tmp_path, capsys, "invoice-lines", [_write(tmp_path, text)],
                                "--map", "cust=customer_id", "--as-of", "2026-06-01")
    assert code == 0


@pytest.mark.parametrize("currency,amount", [("JPY", "4900"), ("KWD", "12.345"), ("USD", "49.99")])
def test_currencies_with_zero_two_and_three_decimals(tmp_path, capsys, currency, amount):
    text = GENERIC + (f"c1,s1,subscription,2026-01-01,2026-02-01,{amount},0,0,false,{currency},,Pro\n"
                      f"c1,s1,subscription,2026-02-10,2026-03-01,{amount},0,0,false,{currency},,Pro\n")
    code, _, spk, _ = import_both(tmp_path, capsys, "invoice-lines", [_write(tmp_path, text)], "--as-of", "2026-03-01")
    assert code == 0 and currency in (spk / "dataset.yml").read_text()


def test_typed_parquet_and_a_second_csv_in_one_import(tmp_path, capsys):
    typed = pd.DataFrame({
        "id": ["l1", "l2", "l3"], "invoice_id": ["i1", "i2", "i3"], "customer": ["c1", "c1", "c2"],
        "subscription": ["s1", "s1", None], "type": ["subscription", "invoiceitem", "invoiceitem"],
        "amount": np.array([12000, -3000, 2500], dtype="int64"), "discount_amount": np.array([0, 0, 0], dtype="int64"),
        "tax_amount": np.array([1200, 0, 0], dtype="int64"), "currency": ["usd"] * 3,
        "period_start": pd.to_datetime(["2026-01-01", "2026-02-16", "2026-02-03"]).astype("datetime64[us]"),
        "period_end": pd.to_datetime(["2026-04-01", "2026-03-01", "2026-02-03"]).astype("datetime64[us]"),
        "proration": [False, True, False], "quantity": np.array([1, 1, 1], dtype="int64"),
        "description": ["Quarterly", "Unused time", "Setup"],
    })
    typed.to_parquet(tmp_path / "typed.parquet", index=False)
    more = _write(tmp_path, STRIPE + "l4,i4,c3,s3,subscription,5000,0,0,usd,2026-02-01,2026-03-01,false,1,Basic\n",
                  "more.csv")
    code, _, _, _ = import_both(tmp_path, capsys, "stripe-invoice-lines", [tmp_path / "typed.parquet", more],
                                "--as-of", "2026-04-01")
    assert code == 0


# ----------------------------------------------------------------------------- bad exports

BAD = {
    "cents with decimals": "l1,i1,c1,s1,subscription,49.99,0,0,usd,2026-01-01,2026-02-01,false,1,Pro",
    "not a number": "l1,i1,c1,s1,subscription,abc,0,0,usd,2026-01-01,2026-02-01,false,1,Pro",
    "missing amount": "l1,i1,c1,s1,subscription,,0,0,usd,2026-01-01,2026-02-01,false,1,Pro",
    "bad tax": "l1,i1,c1,s1,subscription,100,0,x,usd,2026-01-01,2026-02-01,false,1,Pro",
    "missing customer": "l1,i1,,s1,subscription,100,0,0,usd,2026-01-01,2026-02-01,false,1,Pro",
    "unknown type": "l1,i1,c1,s1,gift,100,0,0,usd,2026-01-01,2026-02-01,false,1,Pro",
    "bad proration": "l1,i1,c1,s1,subscription,100,0,0,usd,2026-01-01,2026-02-01,maybe,1,Pro",
    "unreadable start": "l1,i1,c1,s1,subscription,100,0,0,usd,2026-13-45,2026-02-01,false,1,Pro",
    "implausible end": "l1,i1,c1,s1,subscription,100,0,0,usd,2026-01-01,1980-02-01,false,1,Pro",
    "backwards": "l1,i1,c1,s1,subscription,100,0,0,usd,2026-02-01,2026-01-01,false,1,Pro",
    "two currencies": "l1,i1,c1,s1,subscription,100,0,0,eur,2026-01-01,2026-02-01,false,1,Pro",
    "no MRR": "l1,i1,c1,,invoiceitem,100,0,0,usd,2026-01-01,2026-01-01,false,1,Fee",
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_export_gets_the_embedded_error(tmp_path, capsys, case):
    good = "l0,i0,c0,s0,subscription,100,0,0,usd,2026-01-01,2026-02-01,false,1,Pro\n"
    text = STRIPE + (good * 3 if case != "no MRR" else "") + BAD[case] + "\n" + (good if case != "no MRR" else "")
    code, _, _, err = import_both(tmp_path, capsys, "stripe-invoice-lines", [_write(tmp_path, text)],
                                  "--as-of", "2026-03-01")
    assert code == 2 and "lines.csv" in err
    if case not in ("two currencies", "no MRR"):
        assert "row 5" in err


def test_a_generic_one_off_without_any_date_and_a_currency_that_contradicts_the_option(tmp_path, capsys):
    text = GENERIC + ("c1,s1,subscription,2026-01-01,2026-02-01,10,0,0,false,USD,,Pro\n"
                      "c1,,one_time,,,25,0,0,false,USD,,Setup\n")
    code, _, _, err = import_both(tmp_path, capsys, "invoice-lines", [_write(tmp_path, text)], "--as-of", "2026-02-01")
    assert code == 2 and "needs a date" in err
    code, _, _, err = import_both(tmp_path, capsys, "invoice-lines", [_write(tmp_path, text)], "--as-of", "2026-02-01",
                                  "--currency", "EUR")
    assert code == 2 and "currency USD where --currency says EUR" in err and "row 2" in err


def test_missing_columns_are_named(tmp_path, capsys):
    code, _, _, err = import_both(tmp_path, capsys, "stripe-invoice-lines",
                                  [_write(tmp_path, "id,amount\nl1,100\n")], "--currency", "USD")
    assert code == 2 and "missing column(s) for customer" in err


def test_rows_are_counted_across_csv_splits_and_in_parquet(tmp_path, capsys, spark):
    """A file read as many splits: the bad row's number counts the rows of the earlier splits."""
    good = "l0,i0,c0,s0,subscription,100,0,0,usd,2026-01-01,2026-02-01,false,1,Pro\n"
    text = STRIPE + good * 400 + BAD["unknown type"] + "\n" + good * 50
    before = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    try:
        code, _, _, err = import_both(tmp_path, capsys, "stripe-invoice-lines", [_write(tmp_path, text)],
                                      "--as-of", "2026-03-01")
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", before)
    assert code == 2 and "row 402" in err
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "lines.parquet", index=False)
    code, _, _, err = import_both(tmp_path, capsys, "stripe-invoice-lines", [tmp_path / "lines.parquet"],
                                  "--as-of", "2026-03-01")
    assert code == 2 and "row 401" in err  # Parquet: the first record is row 1


def test_folder_rules_force_and_formats(tmp_path, capsys):
    export = _write(tmp_path, STRIPE + "l1,i1,c1,s1,subscription,100,0,0,usd,2026-01-01,2026-02-01,false,1,Pro\n")
    out = tmp_path / "out"
    assert main(["import", "stripe-invoice-lines", str(export), "--out", str(out), "--as-of", "2026-02-01"]) == 0
    capsys.readouterr()
    argv = ["import", "stripe-invoice-lines", str(export), "--out", str(out), "--as-of", "2026-02-01",
            "--engine", "spark"]
    assert main(argv) == 2 and "already holds mrr.csv" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["charges.parquet", "dataset.yml", "import-summary.txt",
                                                     "mrr.parquet"] or \
        sorted(p.name for p in out.iterdir()) == ["dataset.yml", "import-summary.txt", "mrr.parquet"]
    assert main(["import", "stripe-invoice-lines", str(export), "--out", str(out), "--as-of", "2026-02-01",
                 "--force"]) == 0
    assert not (out / "mrr.parquet").exists() and (out / "mrr.csv").exists()
    capsys.readouterr()
    assert main(["import", "stripe-subscriptions", str(export), "--out", str(tmp_path / "s"), "--engine", "spark"]) == 2
    assert "import it without --engine spark" in capsys.readouterr().err


# ----------------------------------------------------------------------------- generated exports

def _random_export(rng: np.random.Generator, customers: int) -> str:
    """Monthly, annual and partial lines, prorations with cent residues, discounts, tax,
    one-offs and credits for ``customers`` customers."""
    rows = []
    for c in range(customers):
        price = int(rng.choice([1000, 4900, 5000, 9900, 10000, 29900]))
        start = pd.Timestamp("2025-01-01") + pd.DateOffset(months=int(rng.integers(0, 12)))
        if rng.random() < 0.2:
            day = int(rng.integers(1, 29))
            s = start + pd.Timedelta(days=day - 1)
            rows.append((c, f"s{c}", "subscription", price * 12, 0, s, s + pd.DateOffset(months=12), False))
        else:
            for m in range(int(rng.integers(1, 18))):
                s = start + pd.DateOffset(months=m)
                rows.append((c, f"s{c}", "subscription", price, price // 10 if c % 7 == 0 else 0, s,
                             s + pd.DateOffset(months=1), False))
            if rng.random() < 0.3:
                s = start + pd.DateOffset(months=int(rng.integers(0, 3))) + pd.Timedelta(days=int(rng.integers(1, 27)))
                nxt = (s + pd.offsets.MonthBegin(1)).normalize()
                days = (nxt - s).days / s.days_in_month
                new = int(rng.choice([price * 2, price // 2, price + 1]))
                rows.append((c, f"s{c}", "invoiceitem", -round(price * days), 0, s, nxt, True))
                rows.append((c, f"s{c}", "invoiceitem", round(new * days), 0, s, nxt, True))
        if rng.random() < 0.1:
            rows.append((c, "", "invoiceitem", int(rng.choice([20000, -500])), 0, start, start, False))
    lines = [STRIPE.strip()]
    for i, (c, sub, kind, amount, discount, s, e, pr) in enumerate(rows):
        tax = amount // 10 if c % 3 == 0 else 0
        lines.append(f"l{i},i{i},cus_{c:05d},{sub},{kind},{amount},{discount},{tax},usd,{s.date()},{e.date()},"
                     f"{str(pr).lower()},1,d{i % 5}")
    return "\n".join(lines) + "\n"


def test_a_generated_export_of_600_customers(tmp_path, capsys):
    text = _random_export(np.random.default_rng(12), 600)
    code, _, _, _ = import_both(tmp_path, capsys, "stripe-invoice-lines", [_write(tmp_path, text)],
                                "--as-of", "2026-06-15")
    assert code == 0


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), customers=st.integers(1, 12), as_of=st.sampled_from(["2025-03-01", "2026-01-20"]))
def test_random_small_exports_equal_the_embedded_import(tmp_path_factory, capsys, seed, customers, as_of):
    tmp_path = tmp_path_factory.mktemp("random")
    text = _random_export(np.random.default_rng(seed), customers)
    import_both(tmp_path, capsys, "stripe-invoice-lines", [_write(tmp_path, text)], "--as-of", as_of)


def test_an_out_url_is_written_through_hadoops_file_system(tmp_path, capsys):
    """``--out`` as a URL (``s3a://``, ``abfss://``, here ``file://``): staged, checked and
    moved with Hadoop's FileSystem; an import into it again needs --force."""
    export = _write(tmp_path, PRORATIONS)
    url = (tmp_path / "lake" / "acme").as_uri()
    argv = ["import", "stripe-invoice-lines", str(export), "--out", url, "--as-of", "2026-06-01", "--engine", "spark"]
    capsys.readouterr()
    assert main(argv) == 0
    written = tmp_path / "lake" / "acme"
    assert sorted(p.name for p in written.iterdir()) == ["charges.parquet", "dataset.yml", "import-summary.txt",
                                                         "mrr.parquet"]
    assert [p.name for p in (tmp_path / "lake").iterdir()] == ["acme"]  # no staging folder left
    assert main(argv) == 2 and "already holds" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0


def test_a_catalog_table_of_lines(tmp_path, capsys, spark):
    """``spark-table:NAME`` (a Unity Catalog / Hive table; here a temporary view): the same
    MRR as the file; set-aside rows are counted without row numbers (a table has none)."""
    export = _write(tmp_path, PRORATIONS)
    spark.read.options(header="true").csv(str(export)).createOrReplaceTempView("invoice_line_items")
    capsys.readouterr()
    assert main(["import", "stripe-invoice-lines", str(export), "--out", str(tmp_path / "file"),
                 "--as-of", "2026-06-01"]) == 0
    assert main(["import", "stripe-invoice-lines", "spark-table:invoice_line_items", "--out",
                 str(tmp_path / "table"), "--as-of", "2026-06-01", "--engine", "spark"]) == 0
    assert _parquet_text(tmp_path / "table" / "mrr.parquet") == _csv_text(tmp_path / "file" / "mrr.csv")
    summary = (tmp_path / "table" / "import-summary.txt").read_text()
    assert "invoice_line_items: 3 rows (a table has no row numbers)" in summary  # the tax lines
    assert "stripe-invoice-lines: spark-table:invoice_line_items" in summary
    spark.catalog.dropTempView("invoice_line_items")


def test_calendar_lengths_in_sql_equal_calendar_months(spark):
    """Every (start, end) pair of 2,000 random ones, month ends and leap days included: the
    SQL fraction p / q equals :func:`calendar_months` exactly."""
    from fractions import Fraction

    from saas_kit.imports.invoice_lines import calendar_months
    from saas_kit.spark.invoice_lines import calendar_lengths, month_number
    from pyspark.sql import functions as F

    rng = np.random.default_rng(7)
    base = pd.Timestamp("2023-12-25")
    starts = [base + pd.Timedelta(days=int(d)) for d in rng.integers(0, 900, 2000)]
    ends = [s + pd.Timedelta(days=int(d)) for s, d in zip(starts, rng.choice([1, 15, 28, 29, 30, 31, 45, 59, 61, 92,
                                                                              365, 366, 400], 2000))]
    starts[:4] = [pd.Timestamp(x) for x in ("2024-01-31", "2024-01-30", "2023-03-31", "2024-02-29")]
    ends[:4] = [pd.Timestamp(x) for x in ("2024-03-01", "2024-02-29", "2023-05-01", "2025-02-28")]
    frame = spark.createDataFrame(pd.DataFrame({"i": range(len(starts)), "start": [s.date() for s in starts],
                                                "end": [e.date() for e in ends]}))
    frame = frame.withColumns({"ms": month_number(F.col("start")), "me": month_number(F.col("end"))})
    got = {r["i"]: (r["p"], r["q"], r["is_whole"]) for r in calendar_lengths(frame).select("i", "p", "q", "is_whole")
           .collect()}
    for i, (s, e) in enumerate(zip(starts, ends)):
        p, q, whole = got[i]
        assert Fraction(p, q) == calendar_months(s, e), (s, e)
        assert whole == (calendar_months(s, e).denominator == 1)


def test_ticks_text_in_sql_equals_ticks_to_text(spark):
    """The MRR text Spark writes, for whole, fractional, rounding-up and very large tick counts
    (beyond 2**53, where a double would lose digits)."""
    from pyspark.sql import functions as F

    from saas_kit.money import ticks_to_text
    from saas_kit.spark.export_cells import ticks_text

    values = [0, 1, -1, 1199, 1200, -1201, 100000, 1199999999, 2**53 + 1201, -(2**60) - 7, 9 * 10**18 + 1]
    rows = spark.createDataFrame([(v,) for v in values], "t long").select(ticks_text(F.col("t")).alias("x")).collect()
    assert [r["x"] for r in rows] == [ticks_to_text(v, 6) for v in values]
