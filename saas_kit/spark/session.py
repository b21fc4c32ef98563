"""The Spark session the engine runs on: local mode by default, any cluster by the usual settings.

Where the session comes from, in order:

1. a session that is already active in this process (a Databricks notebook's ``spark``,
   or one the caller built) is used as it is;
2. ``master`` starting with ``sc://`` (or, without ``master``, the ``SPARK_REMOTE``
   environment variable) connects through Spark Connect (needs ``pyspark[connect]``);
3. otherwise a classic session on ``master``, else ``$SPARK_MASTER``, else ``local[*]``
   (every core of this machine), with the driver memory of ``$SAAS_KIT_SPARK_DRIVER_MEMORY``
   (default 2g; it only applies when this process starts the JVM) and, in local mode,
   ``$SAAS_KIT_SPARK_PARTITIONS`` shuffle partitions (default twice the cores: AQE,
   on by default, coalesces small ones; the customer-month frame sets its own count
   from the size of the ledger, :func:`saas_kit.spark.ledger.partitions_for`).

A JVM this process starts also gets ``-XX:-DontCompileHugeMethods``: Spark's generated
code for the one-pass validation is a method over HotSpot's 8000-byte JIT limit, which
would otherwise run interpreted (several times slower per row).

Every session gets the UTC time zone (timestamps are wall-clock values, as in the
embedded engine) and ANSI mode as Spark sets it; the engine's expressions never rely
on either mode's overflow or cast behaviour.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
from typing import TYPE_CHECKING

from saas_kit.errors import SaasKitError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

INSTALL_HINT = ("the Spark engine needs PySpark and Java 17 or later: install the extra with "
                "`pip install -e .[spark]` (or `pip install pyspark`) and Java, e.g. on Debian "
                "`apt-get install openjdk-17-jre-headless` (or set SPARK_REMOTE to use a Spark Connect server)")


#: HotSpot compiles methods of any size (Spark's whole-stage code can exceed 8000 bytes).
JVM_OPTIONS = "-XX:-DontCompileHugeMethods"


class SparkUnavailable(SaasKitError):
    """``--engine spark`` was asked for but PySpark or Java is missing."""


def _remote_url(master: str | None) -> str | None:
    if master and master.startswith("sc://"):
        return master
    if master is None and os.environ.get("SPARK_REMOTE"):
        return os.environ["SPARK_REMOTE"]
    return None


def require_spark(master: str | None = None) -> None:
    """Raise :class:`SparkUnavailable` naming the pip extra and the Java package when the
    Spark engine cannot start here (PySpark not installed; no Java for a local or
    classic session)."""
    if importlib.util.find_spec("pyspark") is None:
        raise SparkUnavailable(f"PySpark is not installed; {INSTALL_HINT}")
    if _remote_url(master) is None and not _java_available():
        raise SparkUnavailable(f"no Java runtime found (java on PATH or JAVA_HOME); {INSTALL_HINT}")


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def spark_session(master: str | None = None, app_name: str = "saas-kit") -> "SparkSession":
    """The session to run on (see the module docstring for where it comes from)."""
    require_spark(master)
    import warnings

    # PySpark 4.3 warns that it does not yet support pandas 3 in full; the engine hands
    # no pandas objects to PySpark (it collects Rows and Arrow tables only).
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        session = active
    else:
        remote = _remote_url(master)
        builder = SparkSession.builder.appName(app_name)
        if remote is not None:
            builder = builder.remote(remote)
        else:
            builder = (builder.master(master or os.environ.get("SPARK_MASTER") or "local[*]")
                       .config("spark.driver.memory", os.environ.get("SAAS_KIT_SPARK_DRIVER_MEMORY", "2g"))
                       .config("spark.driver.extraJavaOptions", JVM_OPTIONS)
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.ui.enabled", "false"))
            # Shuffle partitions: $SAAS_KIT_SPARK_PARTITIONS, else twice the cores in local mode
            # (Spark's 200 small tasks cost more than the work on a laptop); Spark's own
            # setting on a cluster.
            partitions = os.environ.get("SAAS_KIT_SPARK_PARTITIONS")
            if partitions is None and (master or os.environ.get("SPARK_MASTER") or "local[*]").startswith("local"):
                partitions = str(2 * (os.cpu_count() or 1))
            if partitions:
                builder = builder.config("spark.sql.shuffle.partitions", partitions)
        session = builder.getOrCreate()
        if remote is None:
            session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--spark-master`` (shared by the subcommands that offer Spark)."""
    parser.add_argument("--engine", choices=["embedded", "spark"], default="embedded",
                        help="where the computation runs: in this process (embedded, default) or on Apache Spark "
                             "(needs `pip install -e .[spark]` and Java 17+)")
    parser.add_argument("--spark-master", default=None, metavar="URL",
                        help="Spark master for --engine spark (local[*], spark://host:7077, yarn, sc://host:15002 "
                             "for Spark Connect); default: $SPARK_REMOTE, else $SPARK_MASTER, else local[*]")
