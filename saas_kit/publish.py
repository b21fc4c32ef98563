"""Publishing a built monthly report into the output folder, all or nothing.

Layout of the output folder (``reports/`` by default)::

    reports/
      index.html            list of the months available (regenerated each run)
      2026-09/index.html    one complete HTML book per report month
      2026-10/...
      .failed/2026-11/      executed notebooks / build log of a failed run (debugging)

A month's folder is only ever replaced by a complete new one: the new report is
assembled in a hidden temporary folder in the same output folder (same file
system), then the old folder is renamed aside, the new one renamed in, and the
old one deleted. A failure before the swap leaves the old folder as it was.
"""
from __future__ import annotations

import html
import os
import shutil
import tempfile
from pathlib import Path

from saas_kit.calendar import MONTH_NAME, check_month_name, month_label

FAILED_DIR = ".failed"


def make_staging_dir(out_dir: Path, month: str) -> Path:
    """Create ``OUT/.<month>.tmp-XXXX/`` (hidden, unique, on the output's file system)."""
    check_month_name(month)
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{month}.tmp-", dir=out_dir))


def _move_aside(final: Path, out_dir: Path, month: str) -> Path | None:
    """Rename an existing ``OUT/<month>/`` to a unique hidden name beside it (None when
    there is none), so that it can be put back or deleted later."""
    if not final.exists():
        return None
    old = Path(tempfile.mkdtemp(prefix=f".{month}.old-", dir=out_dir))
    old.rmdir()  # only the unique name is wanted
    os.rename(final, old)
    return old


def available_months(out_dir: Path) -> list[str]:
    """The report months in ``out_dir``: folders named ``YYYY-MM`` holding an ``index.html``, newest first."""
    if not out_dir.is_dir():
        return []
    months = [p.name for p in out_dir.iterdir()
              if p.is_dir() and MONTH_NAME.fullmatch(p.name) and (p / "index.html").is_file()]
    return sorted(months, reverse=True)


def months_index_page(months: list[str], title: str = "SaaS metrics reports") -> str:
    """The HTML of ``OUT/index.html``: one relative link per month in ``months`` (in the
    given order). Relative links only, so the folder works from disk and from any
    sub-path of a web server."""
    items = "\n".join(
        f'      <li><a href="{html.escape(m)}/index.html">{html.escape(month_label(m))}</a> '
        f'<small>({html.escape(m)})</small></li>'
        for m in months
    ) or "      <li>No report has been built yet.</li>"
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(title)}</title>
    <style>
      body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }}
      li {{ margin: 0.4rem 0; }}
      small {{ color: #666; }}
    </style>
  </head>
  <body>
    <h1>{html.escape(title)}</h1>
    <p>One report per month, built by <code>saas-kit report</code>. Newest first.</p>
    <ul>
{items}
    </ul>
  </body>
</html>
"""


def _write_temp_index(out_dir: Path, page: str) -> Path:
    """Write ``page`` to a hidden temporary file in ``out_dir``; removed again on error."""
    fd, tmp = tempfile.mkstemp(prefix=".index.", suffix=".html.tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def publish_month(site_dir: Path, out_dir: Path, month: str, title: str = "SaaS metrics reports",
                  index_page: str | None = None) -> Path:
    """Publish the complete folder ``site_dir`` as ``OUT/<month>/`` and update
    ``OUT/index.html``, all or nothing.

    The new months index is written first (to a temporary file: a full disk fails
    here, before anything visible changed); then the previous ``OUT/<month>/`` is
    renamed aside, ``site_dir`` renamed in and the index renamed over the old one.
    If any rename fails, what was moved is moved back: the previous report and index
    are as they were and ``site_dir`` is where it was. Only renames inside
    ``out_dir`` happen after the temporary index is written, so ``site_dir`` must be
    on the same file system (the staging folder is). ``index_page``: the HTML of
    ``OUT/index.html`` when the caller wrote it (the editions' index, issue 13);
    default :func:`months_index_page`. Returns the new folder.
    """
    final = out_dir / check_month_name(month)
    if index_page is None:
        index_page = months_index_page(sorted(set(available_months(out_dir)) | {month}, reverse=True), title)
    tmp_index = _write_temp_index(out_dir, index_page)
    old: Path | None = None
    try:
        old = _move_aside(final, out_dir, month)
        try:
            os.rename(site_dir, final)
            try:
                os.replace(tmp_index, out_dir / "index.html")
            except BaseException:
                os.rename(final, site_dir)
                raise
        except BaseException:
            if old is not None:
                os.rename(old, final)
                old = None
            raise
    finally:
        tmp_index.unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


def failed_dir(out_dir: Path, month: str) -> Path:
    """``OUT/.failed/<month>/``: where a failed run keeps its executed notebooks and logs."""
    return out_dir / FAILED_DIR / check_month_name(month)
