"""One load per report run: a validated dataset saved for the notebooks of that run."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping


from saas_kit.metadata import parse_as_of
from saas_kit.loading.dataset import Dataset
from saas_kit.loading.directory import load_dataset


#: Environment variable naming a validated dataset snapshot written by ``saas-kit report``.
SNAPSHOT_ENV = "SAAS_KIT_DATASET_SNAPSHOT"


def _snapshot_key(directory: str | Path, mapping: Mapping[str, str] | None, currency: str | None,
                  as_of: object = None) -> tuple:
    as_of = parse_as_of(as_of)
    return (str(Path(directory).resolve()), tuple(sorted((mapping or {}).items())), (currency or "").upper(),
            "" if as_of is None else as_of.date().isoformat())


def write_snapshot(dataset: Dataset, path: str | Path, mapping: Mapping[str, str] | None = None,
                   currency: str | None = None, as_of: object = None) -> Path:
    """Save a validated dataset so that the notebooks of one report run reuse it instead
    of reading and validating the same export six times. The file lives in the run's
    private staging folder and is deleted with it."""
    import pickle

    path = Path(path)
    with open(path, "wb") as f:
        pickle.dump({"key": _snapshot_key(dataset.directory, mapping, currency, as_of), "dataset": dataset}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_dataset_cached(directory: str | Path, mapping: Mapping[str, str] | None = None,
                        currency: str | None = None, as_of: object = None) -> Dataset:
    """:func:`load_dataset`, or the snapshot of this run when ``SAAS_KIT_DATASET_SNAPSHOT``
    names one made from the same folder, mapping and currency (set by ``saas-kit
    report`` for its notebooks only)."""
    import os
    import pickle

    snapshot = os.environ.get(SNAPSHOT_ENV)
    if snapshot and Path(snapshot).is_file():
        with open(snapshot, "rb") as f:
            saved = pickle.load(f)  # written by this package into its own staging folder
        if saved.get("key") == _snapshot_key(directory, mapping, currency, as_of):
            return saved["dataset"]
    return load_dataset(directory, mapping, currency, as_of=as_of)
