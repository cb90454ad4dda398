"""YAML with positions: every value remembers the line and column it came from.

PyYAML's composer keeps marks on its nodes; this builds plain Python data from those nodes and
a table from each value's path (``("steps", "greeting", "say")``) to its place in the file, so
an error found later, by validation or by the graph checks, can say exactly where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ivr.errors import ScriptError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Place:
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class MarkedDocument:
    """The data of one YAML file and where each part of it stands."""

    def __init__(self, source: str, name: str) -> None:
        self.name = name
        self.places: dict[PathKey, Place] = {}
        self.key_places: dict[PathKey, Place] = {}
        try:
            node = yaml.compose(source, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
            raise ScriptError(f"{where}: not valid YAML: {exc.problem}") from exc
        if node is None:
            raise ScriptError(f"{name}:1:1: the script is empty")
        self.data = self._build(node, ())

    @classmethod
    def from_file(cls, path: Path) -> MarkedDocument:
        try:
            return cls(path.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError as exc:
            raise ScriptError(f"{path}: no such script file") from exc
        except UnicodeDecodeError as exc:
            raise ScriptError(f"{path}: not UTF-8 text ({exc.reason})") from exc

    def _build(self, node: yaml.Node, path: PathKey) -> Any:
        self.places[path] = Place(node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    place = Place(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    raise ScriptError(f"{self.name}:{place}: a key must be plain text")
                # the key as written: YAML 1.1 would turn `yes:` into True, we keep "yes"
                key = str(key_node.value)
                if key in result:
                    place = Place(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    raise ScriptError(f"{self.name}:{place}: {key!r} appears twice")
                self.key_places[(*path, key)] = Place(
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
                result[key] = self._build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._build(item, (*path, i)) for i, item in enumerate(node.value)]
        return _scalar(node)

    def where(self, path: PathKey) -> str:
        """``file:line:column`` of the deepest known part of ``path``."""
        path = tuple(path)
        while path:
            place = self.places.get(path) or self.key_places.get(path)
            if place is not None:
                return f"{self.name}:{place}"
            path = path[:-1]
        return f"{self.name}:{self.places.get((), Place(1, 1))}"

    def key_where(self, path: PathKey) -> str:
        """Where the key at ``path`` is written (for "unknown field" errors)."""
        place = self.key_places.get(tuple(path))
        return f"{self.name}:{place}" if place else self.where(path)


def _scalar(node: yaml.ScalarNode) -> Any:
    # resolve scalars exactly as yaml.safe_load would (numbers, booleans, null)
    constructor = yaml.SafeLoader("")
    return constructor.construct_object(node, deep=True)
