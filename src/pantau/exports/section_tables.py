"""A section's JSON as tables: the figures summary, and one table per list in the section.

- `figures`: every figure outside a list, one row each: {figure (its path in the JSON), name, value, previous,
  change, trend, value's code, trend's code}; a figure that compares (value, previous, change, trend) is one row, as
  are `leadsGenerated` (total) and `repeatCustomerRate` (rate). Durations get their h:mm:ss beside.
- every list of the section (`conversationsPerAgent`, `avgWaitTime.peakHours`, ...): its items' fields as columns, in
  the response model's order, so an empty list still has its header.

Nothing is recomputed: the cells are the JSON's values, numbers as numbers. An enumerated value (a bucket, a status,
a workload, a trend) is written in the chosen language as the page labels it, with its identifier in a code column
beside, for filtering.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from pantau.exports.cells import formatted_duration
from pantau.exports.words import (
    DURATION_KEYS,
    VALUE_WORDS,
    Language,
    code_title,
    column_title,
    formatted_title,
    path_title,
    title,
    value_word,
)

FIGURES = "figures"
# Keys of every section's answer that describe it rather than measure anything: they go to the About sheet.
_DESCRIPTION_KEYS = ("range", "generatedAt", "outdatedSnapshots")
# The key holding a comparing figure's value, in the order tried.
_COMPARED_VALUE_KEYS = ("value", "total", "rate")
_COMPARISON_KEYS = ("previous", "change", "trend")


@dataclass(frozen=True)
class Table:
    name: str
    header: list[str]
    rows: list[list[object]]


def _models_in(annotation) -> Iterator[type[BaseModel]]:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            yield candidate


def _is_list(annotation) -> bool:
    return typing.get_origin(annotation) is list


def list_items(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, type[BaseModel]]]:
    """(path, item model) of every list of objects in the model, nested objects included, in field order."""
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        annotation = field.annotation
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
            annotation = next((arg for arg in typing.get_args(annotation) if arg is not type(None)), annotation)
        if _is_list(annotation):
            for item in _models_in(typing.get_args(annotation)[0]):
                yield path, item
        else:
            for nested in _models_in(annotation):
                yield from list_items(nested, f"{path}.")


def table_names(model: type[BaseModel]) -> list[str]:
    return [FIGURES, *(path for path, _ in list_items(model))]


def _at(document: dict, path: str) -> object:
    value: object = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _formatted(key: str, value: object) -> str | None:
    """h:mm:ss of a duration's seconds; None for any other figure."""
    if key not in DURATION_KEYS or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return formatted_duration(value)


def _figure_rows(language: Language, value: object, path: str) -> Iterator[list[object]]:
    key = path.rsplit(".", 1)[-1]
    if isinstance(value, list):
        return
    if isinstance(value, dict) and "previous" in value:
        value_key = next(name for name in _COMPARED_VALUE_KEYS if name in value)
        measured, previous, trend = value[value_key], value["previous"], value.get("trend")
        yield [
            path,
            path_title(language, path),
            value_word(language, path, measured),
            _formatted(key, measured),
            previous,
            _formatted(key, previous),
            value.get("change"),
            value_word(language, "trend", trend),
            measured if path in VALUE_WORDS else None,
            trend,
        ]
        for inner, inner_value in value.items():
            if inner not in (value_key, *_COMPARISON_KEYS):
                yield from _figure_rows(language, inner_value, f"{path}.{inner}")
        return
    if isinstance(value, dict):
        for inner, inner_value in value.items():
            yield from _figure_rows(language, inner_value, f"{path}.{inner}")
        return
    code = value if path in VALUE_WORDS else None
    word = value_word(language, path, value)
    yield [path, path_title(language, path), word, _formatted(key, value), None, None, None, None, code, None]


def figures_table(language: Language, document: dict) -> Table:
    header = [
        title(language, "figure"),
        title(language, "name"),
        title(language, "value"),
        formatted_title(language, "value"),
        title(language, "previous"),
        formatted_title(language, "previous"),
        title(language, "change"),
        title(language, "trend"),
        code_title(language, title(language, "value")),
        code_title(language, title(language, "trend")),
    ]
    rows = [
        row
        for key, value in document.items()
        if key not in _DESCRIPTION_KEYS
        for row in _figure_rows(language, value, key)
    ]
    return Table(FIGURES, header, rows)


def _columns(item: type[BaseModel], entries: list[dict]) -> list[tuple[str, ...]]:
    """The item's columns as key paths: its fields, and the fields of an object inside it (an item's
    `businessTime`) when some entry carries that object."""
    columns: list[tuple[str, ...]] = []
    for name, field in item.model_fields.items():
        key = field.alias or name
        nested = next(_models_in(_optional(field.annotation)), None)
        if nested is None:
            columns.append((key,))
        elif any(entry.get(key) is not None for entry in entries):
            columns += [(key, inner.alias or inner_name) for inner_name, inner in nested.model_fields.items()]
    return columns


def _optional(annotation):
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next((arg for arg in typing.get_args(annotation) if arg is not type(None)), annotation)
    return annotation


def list_table(language: Language, document: dict, path: str, item: type[BaseModel]) -> Table:
    entries = _at(document, path) or []
    columns = _columns(item, entries)
    header: list[str] = []
    for keys in columns:
        key = keys[-1]
        heading = " · ".join(
            column_title(language, path if index == 0 else keys[0], part) for index, part in enumerate(keys)
        )
        header.append(heading)
        if key in DURATION_KEYS:
            header.append(formatted_title(language, key))
        if f"{path}.{key}" in VALUE_WORDS:
            header.append(code_title(language, heading))
    rows = []
    for entry in entries:
        row: list[object] = []
        for keys in columns:
            key = keys[-1]
            value = entry.get(keys[0])
            if len(keys) > 1:
                value = (value or {}).get(key)
            enumerated = f"{path}.{key}"
            row.append(value_word(language, enumerated, value))
            if key in DURATION_KEYS:
                row.append(_formatted(key, value))
            if enumerated in VALUE_WORDS:
                row.append(value)
        rows.append(row)
    return Table(path, header, rows)


def section_tables(language: Language, model: type[BaseModel], document: dict) -> list[Table]:
    """Every table of the section, figures first, then the lists in the response model's order."""
    return [
        figures_table(language, document),
        *(list_table(language, document, path, item) for path, item in list_items(model)),
    ]


def section_table(language: Language, model: type[BaseModel], document: dict, name: str) -> Table | None:
    """The table called `name`, or None when the section has no such table."""
    if name == FIGURES:
        return figures_table(language, document)
    for path, item in list_items(model):
        if path == name:
            return list_table(language, document, path, item)
    return None
