"""Live views into a loaded specification, shaped like TimeloopFE's nodes.

A `Specification` holds the merged YAML tree as loaded (Jinja2 rendered, expressions
not yet evaluated, as TimeloopFE keeps it until `process()`). Every node handed out
(`spec.architecture`, `spec.architecture.find("buffer").attributes`, ...) is a view
on a path into that tree: reading gives the value in the tree (a number, or the
expression text such as "DATAWIDTH * 2"), writing changes the tree, so the next
`call_mapper` / `call_model` sees it. A str written from Python is an expression,
like an unquoted YAML value; `loopnest.api.literal("45nm")` is a literal string.
"""
from __future__ import annotations

from typing import Any, Iterator

from loopnest.timeloopfe.common import MissingAttribute, MissingKey, NotFound, Unsupported

_NESTED = ("nodes", "subtree", "local")
STORAGE_CLASSES = ("DRAM", "SRAM", "regfile", "register", "smartbuffer", "storage", "buffer")
COMPUTE_CLASSES = ("mac", "compute", "adder", "multiplier")
NETWORK_CLASSES = ("XY_NoC", "Legacy", "ReductionTree", "SimpleMulticast", "network", "noc")
NOTHING_CLASSES = ("nothing",)


def _close(name: str, names: list[str]) -> str:
    import difflib

    hit = difflib.get_close_matches(name, names, n=1)
    if hit:
        return f"did you mean '{hit[0]}'?"
    return ("keys here: " + ", ".join(names[:20])) if names else "this node is empty"


def _stored(value: Any, path: str = "") -> Any:
    """A Python value as the tree stores it (located dicts/lists; `literal` quoted)."""
    from loopnest.api import literal
    from loopnest.spec.located import LocDict, LocList, QuotedStr

    if isinstance(value, Node):
        value = value.to_plain()
    if isinstance(value, literal):
        return QuotedStr(str(value))
    if isinstance(value, dict):
        return LocDict({k: _stored(v, f"{path}.{k}") for k, v in value.items()},
                       file="<python>", path=path)
    if isinstance(value, (list, tuple)):
        return LocList([_stored(v, f"{path}[{i}]") for i, v in enumerate(value)],
                       file="<python>", path=path)
    return value


def _path_text(path: list) -> str:
    out = ""
    for k in path:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or "<spec>"


class Node:
    """A view on one place of the specification tree."""

    _lazy: dict[str, type] = {}  # child mappings handed out even while absent
    _defaults: dict[str, Any] = {}  # values read while absent (TimeloopFE's defaults)

    def __init__(self, spec: "Any", path: list) -> None:
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_path", list(path))

    # -- the tree
    def _raw(self) -> Any:
        node = self._spec._tree
        for k in self._path:
            if isinstance(node, dict) and not isinstance(k, int) and k in node:
                node = node[k]
            elif isinstance(node, list) and isinstance(k, int) and -len(node) <= k < len(node):
                node = node[k]
            else:
                return None
        return node

    def _set(self, key: Any, value: Any) -> None:
        from loopnest.spec.overrides import apply_sets

        path = self._path + [key]
        text = _path_text(path)
        apply_sets(self._spec._tree, [(text, path, _stored(value, text))])

    def _wrap(self, key: Any, value: Any) -> Any:
        path = self._path + [key]
        if isinstance(value, dict):
            cls = self._lazy.get(key) if isinstance(key, str) else None
            return (cls or node_class(path, value))(self._spec, path)
        if isinstance(value, list):
            return ListNode(self._spec, path)
        return value

    def to_plain(self) -> Any:
        """The node as plain dicts, lists and scalars (a copy)."""
        from loopnest.spec.located import to_plain

        return to_plain(self._raw())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_plain()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Node):
            other = other.to_plain()
        return self.to_plain() == other

    __hash__ = None  # type: ignore[assignment]


class DictNode(Node):
    """A mapping of the specification: item and attribute access, get and set."""

    def _keys(self) -> list:
        raw = self._raw()
        return list(raw.keys()) if isinstance(raw, dict) else []

    def __getitem__(self, key: Any) -> Any:
        raw = self._raw()
        if isinstance(raw, dict) and key in raw:
            return self._wrap(key, raw[key])
        if key in self._lazy:
            return self._lazy[key](self._spec, self._path + [key])
        if key in self._defaults:
            return self._defaults[key]
        raise MissingKey(f"'{key}' is not set in {_path_text(self._path)}",
                         hint=_close(str(key), [str(k) for k in self._keys()]))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._set(key, value)

    def __delitem__(self, key: Any) -> None:
        raw = self._raw()
        if not isinstance(raw, dict) or key not in raw:
            raise MissingKey(f"'{key}' is not set in {_path_text(self._path)}")
        del raw[key]

    def __contains__(self, key: object) -> bool:
        raw = self._raw()
        return isinstance(raw, dict) and key in raw

    def __iter__(self) -> Iterator:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def keys(self) -> list:
        return self._keys()

    def values(self) -> list:
        return [self[k] for k in self._keys()]

    def items(self) -> list:
        return [(k, self[k]) for k in self._keys()]

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except MissingKey:
            return default

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self:
            if default:
                return default[0]
            raise MissingKey(f"'{key}' is not set in {_path_text(self._path)}")
        value = self[key]
        if isinstance(value, Node):
            value = value.to_plain()
        del self[key]
        return value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, other: Any = (), **kw: Any) -> None:
        items = other.items() if hasattr(other, "items") else other
        for k, v in list(items) + list(kw.items()):
            self[k] = v

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except MissingKey:
            raise MissingAttribute(
                f"{type(self).__name__} at {_path_text(self._path)} has no '{name}'",
                hint=_close(name, [str(k) for k in self._keys()])) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):
            if prop.fset is None:
                raise Unsupported(f"setting {type(self).__name__}.{name}")
            prop.fset(self, value)
            return
        self[name] = value


class ListNode(Node):
    """A list of the specification."""

    def _list(self) -> list:
        raw = self._raw()
        return raw if isinstance(raw, list) else []

    def __getitem__(self, i: Any) -> Any:
        items = self._list()
        if isinstance(i, slice):
            return [self[j] for j in range(len(items))[i]]
        if not -len(items) <= i < len(items):
            raise IndexError(f"{_path_text(self._path)}[{i}]: the list has {len(items)} items")
        i = i % len(items)
        return self._wrap(i, items[i])

    def __setitem__(self, i: int, value: Any) -> None:
        self._set(i, value)

    def __delitem__(self, i: int) -> None:
        del self._list()[i]

    def __len__(self) -> int:
        return len(self._list())

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self._list())))

    def __contains__(self, value: object) -> bool:
        if isinstance(value, Node):
            value = value.to_plain()
        return value in self.to_plain()

    def append(self, value: Any) -> None:
        raw = self._raw()
        if isinstance(raw, list):
            raw.append(_stored(value, f"{_path_text(self._path)}[{len(raw)}]"))
            return
        parent = Node(self._spec, self._path[:-1])
        parent._set(self._path[-1], [value])

    def extend(self, values: Any) -> None:
        for v in values:
            self.append(v)


class ArchNode(DictNode):
    """What can search the architecture below it (TimeloopFE's ArchNode)."""

    def _leaves(self) -> list[tuple[list, dict]]:
        """(path, raw) of every named node below (depth first), branches included."""
        out: list[tuple[list, dict]] = []

        def walk(node: Any, path: list) -> None:
            if not isinstance(node, dict):
                return
            if path != self._path and node.get("name") is not None:
                out.append((path, node))
            for key in _NESTED:
                sub = node.get(key)
                if isinstance(sub, list):
                    for i, it in enumerate(sub):
                        walk(it, path + [key, i])

        walk(self._raw(), list(self._path))
        return out

    def find(self, name: str) -> "Leaf":
        """The architecture node named `name` (TimeloopFE's `find` / `name2leaf`)."""
        if isinstance(self, Leaf) and str(self.get("name")) == name:
            return self
        found = self._leaves()
        for path, raw in found:
            if str(raw.get("name")) == name:
                return node_class(path, raw)(self._spec, path)
        raise NotFound(f"no architecture node named '{name}'",
                       hint=_close(name, [str(r.get("name")) for _, r in found]))

    name2leaf = find

    def name2constraints(self, name: str) -> DictNode:
        return self.find(name).constraints

    def get_nodes_of_type(self, node_type: type) -> list:
        """Every architecture node below that is a `node_type` (arch.Storage,
        arch.Compute, arch.Container, arch.Component, arch.Leaf...)."""
        if not (isinstance(node_type, type) and issubclass(node_type, Node)):
            raise Unsupported(f"get_nodes_of_type({getattr(node_type, '__name__', node_type)})",
                              hint="architecture node types are supported: tl.arch.Leaf, "
                                   "Component, Storage, Compute, Network, Container")
        nodes = [node_class(p, r)(self._spec, p) for p, r in self._leaves()]
        return [n for n in nodes if isinstance(n, node_type)]

    @property
    def leaves(self) -> list:
        return self.get_nodes_of_type(Leaf)


class Attributes(DictNode):
    """A node's `attributes:`."""


class Spatial(DictNode):
    """A node's `spatial:` fan-out (meshX / meshY read as 1 when absent)."""

    _defaults = {"meshX": 1, "meshY": 1}

    def get_fanout(self) -> int:
        return int(self.meshX) * int(self.meshY)


class Architecture(ArchNode):
    """`architecture:` (TimeloopFE's Architecture)."""


class Branch(ArchNode):
    """A `!Hierarchical`, `!Parallel` or `!Pipelined` group of nodes."""


class Hierarchical(Branch):
    pass


class Parallel(Branch):
    pass


class Pipelined(Branch):
    pass


class Leaf(ArchNode):
    """A named architecture node (component or container)."""

    _lazy = {"attributes": Attributes, "spatial": Spatial, "constraints": DictNode,
             "sparse_optimizations": DictNode}

    @property
    def _class(self) -> Any:
        return self.get("class")

    @_class.setter
    def _class(self, value: Any) -> None:
        self["class"] = value

    def get_fanout(self) -> int:
        return self.spatial.get_fanout()


class Component(Leaf):
    """A `!Component`."""

    _defaults = {"enabled": True, "subclass": None, "required_actions": [],
                 "area_scale": None, "energy_scale": None}


class Storage(Component):
    pass


class Compute(Component):
    pass


class Network(Component):
    pass


class Nothing(Component):
    pass


class Container(Leaf):
    """A `!Container`."""


def _component_class(raw: dict) -> type:
    cls = str(raw.get("class") or "")
    for words, target in ((STORAGE_CLASSES, Storage), (COMPUTE_CLASSES, Compute),
                          (NETWORK_CLASSES, Network), (NOTHING_CLASSES, Nothing)):
        if any(w.lower() in cls.lower() for w in words):
            return target
    return Component


def node_class(path: list, raw: dict) -> type:
    """The node class of the mapping `raw` at `path`."""
    if path == ["architecture"]:
        return Architecture
    if path and path[0] == "architecture" and isinstance(path[-1], int) and len(path) >= 2:
        tag = getattr(raw, "tag", None) or ""
        if tag in ("!Hierarchical", "!Parallel", "!Pipelined"):
            return {"!Hierarchical": Hierarchical, "!Parallel": Parallel,
                    "!Pipelined": Pipelined}[tag]
        if tag == "!Container" or (not tag and path[-2] == "subtree"):
            return Container
        if tag in ("!Component", "!Nothing") or "class" in raw or path[-2] == "local":
            return _component_class(raw)
        if "name" in raw:
            return Leaf
    return DictNode
