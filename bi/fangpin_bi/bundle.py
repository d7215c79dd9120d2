"""The dashboards' YAML turned into a Superset export bundle (a ZIP ``import-dashboards`` reads).

Superset's v1 format: ``metadata.yaml``, then ``databases/``, ``datasets/<db>/``, ``charts/``
and ``dashboards/``, each object a YAML file with a UUID. The UUIDs are derived from the
object's name (uuid5), so a second import updates the same dashboards instead of adding copies.
Dataset columns come from the warehouse catalog, read as the BI login, with the comments dbt
writes as their descriptions and the YAML's Chinese labels as their names on screen.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import yaml

from fangpin_bi.spec import Dashboard, Dataset, Filter, Metric
from fangpin_bi.warehouse import TableInfo

NAMESPACE = uuid.UUID("6f1c1f3e-3c55-4a39-9d6b-2f6b8f0d4a18")
VERSION = "1.0.0"
DATABASE_NAME = "Fangpin 防贫 marts"
TEMPORAL = ("date", "timestamp")
#: Grid units Superset's dashboard has across, and the default chart height.
GRID_WIDTH, DEFAULT_HEIGHT = 12, 28

TableReader = Callable[[Dataset], TableInfo]


def object_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"fangpin/{kind}/{name}"))


def build_bundle(
    datasets: dict[str, Dataset],
    dashboards: list[Dashboard],
    database_uri: str,
    read_table: TableReader,
    latest: dict[str, str] | None = None,
) -> bytes:
    """The ZIP bytes. ``database_uri`` carries the BI login's password: keep the file 0600.

    ``latest`` maps ``dataset.column`` to its latest value: the default of a ``latest`` filter
    (the newest published month), fixed at import, so ``make bi`` again after a publish.
    """
    files: dict[str, dict[str, Any]] = {
        "metadata.yaml": {"version": VERSION, "type": "Dashboard",
                          "timestamp": datetime.now(UTC).isoformat()},
        "databases/fangpin_marts.yaml": database_yaml(database_uri),
    }
    used = {chart["dataset"] for board in dashboards for chart in board.charts.values()}
    used |= {flt.dataset for board in dashboards for flt in board.filters}
    for name in sorted(used):
        dataset = datasets[name]
        files[f"datasets/fangpin_marts/{name}.yaml"] = dataset_yaml(dataset, read_table(dataset))
    for board in dashboards:
        for name, chart in board.charts.items():
            files[f"charts/{name}.yaml"] = chart_yaml(name, chart, datasets[chart["dataset"]])
        files[f"dashboards/{board.name}.yaml"] = dashboard_yaml(board, latest or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path, body in files.items():
            text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
            bundle.writestr(f"fangpin_bi/{path}", text)
    return buffer.getvalue()


def database_yaml(database_uri: str) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": database_uri,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_csv_upload": False,
        "extra": {"metadata_params": {}, "engine_params": {}, "metadata_cache_timeout": {},
                  "schemas_allowed_for_csv_upload": []},
        "uuid": object_uuid("database", "marts"),
        "version": VERSION,
    }


def dataset_yaml(dataset: Dataset, info: TableInfo) -> dict[str, Any]:
    names = {column.name for column in info.columns}
    unknown = sorted(set(dataset.labels) - names)
    if unknown:
        raise ValueError(f"dataset {dataset.name}: {dataset.table} has no columns {unknown}")
    columns = [
        _column(c.name, c.type, dataset.labels.get(c.name), c.description) for c in info.columns
    ]
    for name, body in dataset.calculated.items():
        columns.append(_column(name, "TEXT", body.get("label"), body.get("description"),
                               expression=" ".join(body["expression"].split())))
    return {
        "table_name": dataset.table,
        "main_dttm_col": dataset.main_dttm_col,
        "description": info.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "schema": dataset.schema,
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "uuid": object_uuid("dataset", dataset.name),
        "metrics": [_metric(m) for m in dataset.metrics.values()],
        "columns": columns,
        "version": VERSION,
        "database_uuid": object_uuid("database", "marts"),
    }


def chart_yaml(name: str, chart: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    kind = chart["kind"]
    params = {"table": _table, "big_number": _big_number, "line": _line, "bar": _bar}[kind](
        chart, dataset
    )
    params.update({
        "datasource": "1__table",
        "adhoc_filters": _where(chart.get("where")),
        "row_limit": chart.get("row_limit", 1000),
    })
    return {
        "slice_name": chart["title"],
        "description": chart.get("description"),
        "certified_by": None,
        "certification_details": None,
        "viz_type": params["viz_type"],
        "params": params,
        "query_context": None,
        "cache_timeout": None,
        "uuid": object_uuid("chart", name),
        "version": VERSION,
        "dataset_uuid": object_uuid("dataset", dataset.name),
    }


def dashboard_yaml(board: Dashboard, latest: dict[str, str]) -> dict[str, Any]:
    chart_ids = {name: index for index, name in enumerate(board.charts, start=1)}
    return {
        "dashboard_title": board.title,
        "description": board.description or None,
        "css": "",
        "slug": board.slug,
        "uuid": object_uuid("dashboard", board.name),
        "position": _position(board, chart_ids),
        "metadata": {
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": False,
            "default_filters": "{}",
            "chart_configuration": {},
            "native_filter_configuration": [
                _native_filter(board.name, flt, chart_ids, latest) for flt in board.filters
            ],
        },
        "version": VERSION,
        "published": True,
    }


def _column(name: str, type_: str, label: str | None, description: str | None,
            expression: str | None = None) -> dict[str, Any]:
    return {
        "column_name": name,
        "verbose_name": label,
        "is_dttm": type_.lower().startswith(TEMPORAL),
        "is_active": True,
        "type": type_.upper(),
        "groupby": True,
        "filterable": True,
        "expression": expression,
        "description": description,
        "python_date_format": None,
        "extra": {},
    }


def _metric(metric: Metric) -> dict[str, Any]:
    return {
        "metric_name": metric.name,
        "verbose_name": metric.label,
        "metric_type": None,
        "expression": " ".join(metric.expression.split()),
        "description": None,
        "d3format": metric.format,
        "extra": {},
        "warning_text": None,
    }


def _metric_ref(ref: str | dict[str, str]) -> str | dict[str, Any]:
    """A saved metric by name, or an adhoc one written in the chart (label + expression)."""
    if isinstance(ref, str):
        return ref
    return {"expressionType": "SQL", "sqlExpression": ref["expression"], "label": ref["label"],
            "hasCustomLabel": True,
            "optionName": "metric_" + object_uuid("metric", ref["label"])[:8]}


def _metric_format(ref: str | dict[str, str], dataset: Dataset) -> str | None:
    if isinstance(ref, str):
        return dataset.metrics[ref].format
    return ref.get("format")


def _metric_label(ref: str | dict[str, str], dataset: Dataset) -> str:
    return dataset.metrics[ref].label if isinstance(ref, str) else ref["label"]


def _table(chart: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    formats = chart.get("formats", {})
    common = {
        "viz_type": "table",
        "server_pagination": False,
        "include_search": False,
        "show_cell_bars": False,
        "color_pn": True,
        "allow_rearrange_columns": False,
        "table_timestamp_format": "%Y-%m-%d",
        "column_config": {col: {"d3NumberFormat": fmt} for col, fmt in formats.items()},
    }
    if "columns" in chart:
        order = [json.dumps([col, direction == "asc"]) for col, direction in
                 chart.get("order_by", [])]
        return {**common, "query_mode": "raw", "all_columns": list(chart["columns"]),
                "order_by_cols": order}
    metrics = chart["metrics"]
    return {**common, "query_mode": "aggregate", "groupby": list(chart["groupby"]),
            "metrics": [_metric_ref(m) for m in metrics], "percent_metrics": [],
            "order_desc": False, "timeseries_limit_metric": None}


def _big_number(chart: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    metric = chart["metric"]
    return {"viz_type": "big_number_total", "metric": _metric_ref(metric),
            "y_axis_format": _metric_format(metric, dataset) or "SMART_NUMBER",
            "header_font_size": 0.4, "subheader_font_size": 0.15,
            "subheader": _metric_label(metric, dataset)}


def _line(chart: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    first = chart["metrics"][0]
    return {"viz_type": "echarts_timeseries_line", "x_axis": dataset.main_dttm_col,
            "time_grain_sqla": "P1M", "x_axis_time_format": "%Y-%m",
            "metrics": [_metric_ref(m) for m in chart["metrics"]],
            "groupby": list(chart.get("groupby", [])),
            "y_axis_format": chart.get("format") or _metric_format(first, dataset),
            "show_legend": True, "legendOrientation": "top", "markerEnabled": True,
            "markerSize": 6, "rich_tooltip": True, "show_value": False,
            "comparison_type": "values", "truncate_metric": True}


def _bar(chart: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    first = chart["metrics"][0]
    return {"viz_type": "echarts_timeseries_bar", "x_axis": chart["x"],
            "metrics": [_metric_ref(m) for m in chart["metrics"]], "groupby": [],
            "orientation": "vertical", "x_axis_sort": _metric_label(first, dataset)
            if chart.get("sort_by_metric") else None, "x_axis_sort_asc": False,
            "y_axis_format": _metric_format(first, dataset), "show_legend": True,
            "legendOrientation": "top", "show_value": False, "xAxisLabelRotation": 45,
            "rich_tooltip": True, "truncate_metric": True}


def _where(expression: str | None) -> list[dict[str, Any]]:
    if not expression:
        return []
    return [{"expressionType": "SQL", "sqlExpression": expression, "clause": "WHERE",
             "filterOptionName": "filter_" + object_uuid("filter", expression)[:8]}]


def _native_filter(board: str, flt: Filter, chart_ids: dict[str, int],
                   latest: dict[str, str]) -> dict[str, Any]:
    default = latest.get(f"{flt.dataset}.{flt.column}") if flt.latest else None
    mask: dict[str, Any] = {"extraFormData": {}, "filterState": {}, "ownState": {}}
    if default is not None:
        mask = {"extraFormData": {"filters": [{"col": flt.column, "op": "IN", "val": [default]}]},
                "filterState": {"value": [default], "label": default}, "ownState": {}}
    return {
        "id": f"NATIVE_FILTER-{object_uuid('filter', board + flt.column)[:10]}",
        "name": flt.name,
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "description": "",
        "targets": [{"datasetUuid": object_uuid("dataset", flt.dataset),
                     "column": {"name": flt.column}}],
        "controlValues": {
            "enableEmptyFilter": flt.latest,
            "defaultToFirstItem": False,
            "multiSelect": not flt.latest,
            "searchAllOptions": False,
            "inverseSelection": False,
            "sortAscending": not flt.latest,
        },
        "defaultDataMask": mask,
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"],
                  "excluded": [chart_ids[name] for name in flt.exclude]},
        "chartsInScope": [i for n, i in chart_ids.items() if n not in flt.exclude],
        "tabsInScope": [],
    }


def _position(board: Dashboard, chart_ids: dict[str, int]) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": board.title}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    for index, row in enumerate(board.rows, start=1):
        row_id = f"ROW-{index}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [],
                            "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for cell in row:
            name = cell["chart"]
            chart_id = f"CHART-{name}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"width": cell.get("width", GRID_WIDTH),
                         "height": cell.get("height", DEFAULT_HEIGHT),
                         "chartId": chart_ids[name], "uuid": object_uuid("chart", name),
                         "sliceName": board.charts[name]["title"]},
            }
    return position
