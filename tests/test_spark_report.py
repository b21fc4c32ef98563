"""``saas-kit report --engine spark`` builds the same book as the embedded engine (issue 12):
the real sample report in both languages from one execution, every glued value and
every displayed output (tables, printed text, the charts' number and order) of every
notebook equal to the embedded report's."""
from __future__ import annotations

from spark_guard import skip_without_spark

skip_without_spark()

from glue_snapshot import compare, compare_outputs, snapshot  # noqa: E402
from report_build import ROOT, shared_editions_report  # noqa: E402


def test_report_on_spark_glues_every_value_of_the_embedded_report(spark, tmp_path_factory, tmp_path):
    from saas_kit.report import build_report

    embedded = shared_editions_report(tmp_path_factory)
    lines: list[str] = []
    index = build_report(ROOT / "data" / "sample", out_dir=tmp_path / "out", languages="en,ja", pdf=False,
                         engine="spark", progress=lines.append)
    month = index.parent
    assert month.name == embedded["month"].name
    for lang in ("en", "ja"):
        on_spark = snapshot(month / lang)
        assert sum(len(v) for v in on_spark.values()) > 400  # both languages' keys, every notebook
        assert compare(snapshot(embedded[lang]), on_spark) == []
        assert compare_outputs(embedded[lang], month / lang) == []
