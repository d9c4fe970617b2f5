"""Write output documents as YAML, atomically (temp name + rename, all or nothing)."""
from __future__ import annotations

import io
import os
import tempfile
from typing import Any, Mapping

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
    """Write every document to `out_dir/prefix+name`; nothing is left behind on failure."""
    os.makedirs(out_dir, exist_ok=True)
    texts = {prefix + name: dump_yaml(doc) for name, doc in docs.items()}
    temps: list[tuple[str, str]] = []
    try:
        for name, text in texts.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            temps.append((tmp, os.path.join(out_dir, name)))
        for tmp, final in temps:
            os.replace(tmp, final)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [final for _, final in temps]
