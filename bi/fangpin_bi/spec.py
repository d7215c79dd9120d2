"""The dashboards as code: ``bi/dashboards/datasets.yaml`` and one YAML file per dashboard.

The YAML says what a reviewer needs to judge (which mart, which columns, which SQL aggregate,
which labels); ``bundle`` turns it into the much longer Superset export format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parents[1] / "dashboards"
#: The one schema a dataset may read: the published marts.
PUBLISHED_SCHEMA = "marts"
CHART_KINDS = ("table", "big_number", "line", "bar")


class SpecError(ValueError):
    """A dashboard file that cannot be built (unknown dataset, column or chart kind)."""


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    expression: str
    format: str | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    table: str
    schema: str = PUBLISHED_SCHEMA
    main_dttm_col: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    calculated: dict[str, dict[str, str]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)


@dataclass(frozen=True)
class Filter:
    name: str
    column: str
    dataset: str
    latest: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    slug: str
    description: str
    filters: tuple[Filter, ...]
    rows: tuple[tuple[dict[str, Any], ...], ...]
    charts: dict[str, dict[str, Any]]


def load_datasets(path: Path | None = None) -> dict[str, Dataset]:
    raw = _read(path or SPEC_DIR / "datasets.yaml")
    return {name: _dataset(name, body) for name, body in raw.items()}


def load_dashboards(spec_dir: Path | None = None) -> list[Dashboard]:
    folder = spec_dir or SPEC_DIR
    return [
        _dashboard(path.stem, _read(path))
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "datasets.yaml"
    ]


def check(datasets: dict[str, Dataset], dashboards: list[Dashboard]) -> None:
    """Every chart names a known dataset, kind and metric; every row names a known chart."""
    for board in dashboards:
        placed = [cell["chart"] for row in board.rows for cell in row]
        unknown = sorted(set(placed) - set(board.charts))
        if unknown:
            raise SpecError(f"{board.name}: rows place unknown charts {unknown}")
        for flt in board.filters:
            if flt.dataset not in datasets:
                raise SpecError(f"{board.name}: filter {flt.name!r} on unknown dataset")
        for name, chart in board.charts.items():
            where = f"{board.name}.{name}"
            if chart.get("kind") not in CHART_KINDS:
                raise SpecError(f"{where}: kind must be one of {CHART_KINDS}")
            dataset = datasets.get(chart.get("dataset", ""))
            if dataset is None:
                raise SpecError(f"{where}: unknown dataset {chart.get('dataset')!r}")
            for metric in _metric_refs(chart):
                if isinstance(metric, str) and metric not in dataset.metrics:
                    raise SpecError(f"{where}: {dataset.name} has no metric {metric!r}")


def _metric_refs(chart: dict[str, Any]) -> list[Any]:
    return list(chart.get("metrics", [])) + ([chart["metric"]] if "metric" in chart else [])


def _dataset(name: str, body: dict[str, Any]) -> Dataset:
    metrics = {
        key: Metric(key, value["label"], value["expression"], value.get("format"))
        for key, value in (body.get("metrics") or {}).items()
    }
    return Dataset(
        name=name,
        table=body["table"],
        schema=body.get("schema", PUBLISHED_SCHEMA),
        main_dttm_col=body.get("main_dttm_col"),
        labels=dict(body.get("labels") or {}),
        calculated=dict(body.get("calculated") or {}),
        metrics=metrics,
    )


def _dashboard(name: str, body: dict[str, Any]) -> Dashboard:
    filters = tuple(
        Filter(f["name"], f["column"], f["dataset"], bool(f.get("latest")),
               tuple(f.get("exclude", ())))
        for f in body.get("filters", [])
    )
    return Dashboard(
        name=name,
        title=body["title"],
        slug=body["slug"],
        description=" ".join(str(body.get("description", "")).split()),
        filters=filters,
        rows=tuple(tuple(row) for row in body["rows"]),
        charts=dict(body["charts"]),
    )


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping")
    return data
