"""Write a located spec back as YAML text (node tags such as !Container kept)."""
from __future__ import annotations

import io
from typing import Any

from loopnest.spec.located import QuotedStr


def _plain(v: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(v, dict):
        m = CommentedMap((str(k) if isinstance(k, str) else k, _plain(x)) for k, x in v.items())
        tag = getattr(v, "tag", None)
        if tag:
            m.yaml_set_ctag(_tag(tag)) if hasattr(m, "yaml_set_ctag") else m.yaml_set_tag(tag)
        return m
    if isinstance(v, list):
        return CommentedSeq(_plain(x) for x in v)
    if isinstance(v, QuotedStr):
        return DoubleQuotedScalarString(str(v))
    return v


def _tag(t: str) -> Any:
    from ruamel.yaml.tag import Tag

    return Tag(suffix=t)


def dump_yaml(spec: Any) -> str:
    """YAML text of `spec` (block style, keys in order)."""
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(_plain(spec), buf)
    return buf.getvalue()
