"""Shipped safetensors files, read safely and written atomically: tensors and the `narrator`
metadata, or an error naming the file. safetensors holds no code, so a model file cannot run
anything."""
from __future__ import annotations

import json
from pathlib import Path


def read_weights(path: Path, fmt: str, error: type[Exception], what: str) -> tuple[dict, dict]:
    """(tensors, metadata) of a narrator model file of format `fmt`; `error` names the problem."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads((f.metadata() or {}).get("narrator", "{}"))
        tensors = load_file(str(path))
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise error(f"{path} is not a readable {what} (corrupt or truncated?): {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise error(f"{path} is not a narrator {what} (no '{fmt}' metadata)")
    return tensors, meta


def write_weights(path: Path, tensors: dict, meta: dict) -> None:
    """Write atomically (a crash leaves the old file), readable by the service's own user."""
    from safetensors.torch import save_file
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"narrator": json.dumps(meta)})
    tmp.chmod(0o644)
    tmp.replace(path)


def first_missing(*paths: Path) -> str:
    """Why a captioner cannot run: the first of its model files that is missing, or ""."""
    for path in paths:
        if not Path(path).exists():
            return f"the model file {path} is missing: reinstall narrator"
    return ""
