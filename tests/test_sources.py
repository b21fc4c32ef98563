"""The references page cites each of the five seed articles as its copy states it (issue 10)."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT
from saas_kit.sources import SOURCES, citation, citation_number, references_table


def test_citation_numbers_follow_seed_order():
    assert citation("000") == "[1]"
    assert citation("000", "003") == "[1, 4]"
    assert citation_number("004") == 5
    with pytest.raises(KeyError, match="unknown source '009'"):
        citation("009")


def test_every_seed_file_has_a_source_whose_details_it_states(shared_dir):
    files = sorted((shared_dir / "seeds").glob("*.txt"))
    assert [f.name[:3] for f in files] == [s.seed for s in SOURCES]
    for source, path in zip(SOURCES, files):
        head = path.read_text("utf-8")[:2000]
        if source.title is not None:
            assert head.splitlines()[0].strip() == source.title
        if source.published is not None:  # "公開日: 2026/1/16" -> 2026-01-16
            y, m, d = re.search(r"公開日: (\d{4})/(\d{1,2})/(\d{1,2})", head).groups()
            assert f"{int(y):04d}-{int(m):02d}-{int(d):02d}" == source.published
        if source.author is not None:
            assert source.author.split(" (")[0] in head


def test_references_page_lists_every_source():
    page = (ROOT / "book" / "references.md").read_text("utf-8")
    for row in references_table().itertuples():
        assert f"({'ref-'}{row.number})=" in page
        for text in (row.title, row.title_en, row.author, row.published):
            assert text in page, text
