"""Write output documents as YAML, as one atomic set (report/files.py)."""
from __future__ import annotations

import io
from typing import Mapping

from loopnest.spec.located import to_plain as _plain


def dump_yaml(doc: Mapping) -> str:
    """Block-style YAML keeping key order (Accelergy's layout)."""
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.sort_base_mapping_type_on_output = False
    buf = io.StringIO()
    y.dump(_plain(doc), buf)
    return buf.getvalue()


def write_documents(out_dir: str, docs: Mapping[str, Mapping], prefix: str = "") -> list[str]:
    """Write every document to `out_dir/prefix+name` as one set (report/files.py): the
    old set or the whole new one, never a mix; nothing is left behind on failure."""
    from loopnest.report.files import write_output_set

    texts = {prefix + name: dump_yaml(doc) for name, doc in docs.items()}
    return [str(p) for p in write_output_set(out_dir, texts)]
