"""The table of the files read (``Dataset.files`` of the embedded loader), from Spark:
one aggregation per input over its persisted typed rows (rows kept, first and last
month of its date column), the rest from the file names and columns.

Columns ``file``, ``kind``, ``rows``, ``columns``, ``period`` ("2019-11 to 2026-10"),
``first``, ``last``, as :func:`saas_kit.loading.directory._file_entry` writes them: the
ledger's (subscriptions, or a ready MRR table: its rows counted, total rows and months
after the last complete month set aside) period runs from the first month with MRR to
the last complete month;
the other inputs' from their date column (charges and events after the as-of date set
aside, company months after the last complete month left out).
"""
from __future__ import annotations

import pandas as pd

from saas_kit.mrr import number_to_period

#: The columns of each validated frame the embedded loader keeps (customers keep theirs).
FRAME_COLUMNS = {
    "subscriptions": ("customer_id", "subscription_id", "start_date", "end_date", "amount", "billing_period", "plan",
                      "currency"),
    "mrr": ("customer_id", "month", "mrr"),
    "charges": ("customer_id", "date", "amount", "kind"),
    "events": ("customer_id", "user_id", "event", "timestamp"),
}
FILE_COLUMNS = ["file", "kind", "rows", "columns", "period", "first", "last"]


def entry(name: str, kind: str, rows: int, columns, span: tuple[pd.Period, pd.Period] | None) -> dict:
    """One row of the table (``name``: a path or table name; only its last part is shown)."""
    first, last = (str(span[0]), str(span[1])) if span else ("", "")
    return {"file": name.rstrip("/").rsplit("/", 1)[-1], "kind": kind, "rows": int(rows),
            "columns": ", ".join(columns), "period": f"{first} to {last}" if span else "", "first": first,
            "last": last}


def _span(lo, hi) -> tuple[pd.Period, pd.Period] | None:
    if lo is None:
        return None
    return number_to_period(int(lo)), number_to_period(int(hi))


def files_table(data) -> pd.DataFrame:
    """The files of ``data`` (:class:`saas_kit.spark.data.SparkData`), in the embedded order."""
    from pyspark.sql import functions as F

    from saas_kit.spark.ledger import month_of

    inputs = data.inputs
    kind, ledger = ("subscriptions" if data.mrr_table is None else "mrr"), data.ledger
    kept = ledger.counts[1] if kind == "subscriptions" else data.mrr_table.rows_counted()
    out = [entry(ledger.source.name, kind, kept, FRAME_COLUMNS[kind], (data.first_month, data.latest_month))]
    frames = {"customers": (data.customers, "signup_micros"), "charges": (data.charges, "date_micros"),
              "events": (data.events, "ts_micros")}
    for kind in ("customers", "charges", "events", "company"):
        if kind == "company":
            if data.company is not None:
                company = data.company
                span = (company["month"].min(), company["month"].max()) if len(company) else None
                out.append(entry(data.company_name, kind, len(company), tuple(company.columns), span))
            continue
        if kind not in inputs:
            continue
        frame, date = frames[kind]
        m = month_of(F.col(date))
        row = frame.agg(F.count(F.lit(1)).alias("n"), F.min(m).alias("lo"), F.max(m).alias("hi")).collect()[0]
        columns = inputs[kind].source.columns if kind == "customers" else FRAME_COLUMNS[kind]
        out.append(entry(inputs[kind].source.name, kind, row["n"], columns, _span(row["lo"], row["hi"])))
    return pd.DataFrame(out, columns=FILE_COLUMNS)
