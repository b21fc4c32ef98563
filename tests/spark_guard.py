"""Skip a Spark test module when PySpark or Java is missing (CI installs both and sets
``SAAS_KIT_REQUIRE_SPARK=1``, which turns the skip into a failure)."""
from __future__ import annotations

import os

import pytest

from saas_kit.spark.session import SparkUnavailable, require_spark


def skip_without_spark() -> None:
    """Call at the top of a Spark test module, before importing PySpark-using modules."""
    try:
        require_spark()
    except SparkUnavailable as exc:  # pragma: no cover - CI installs PySpark and Java
        if os.environ.get("SAAS_KIT_REQUIRE_SPARK") == "1":
            raise
        pytest.skip(str(exc), allow_module_level=True)
