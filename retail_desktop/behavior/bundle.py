"""A trained behaviour model on disk: ``state_dict.pt`` (tensors only) + ``config.json``.

This is the one file format the app reads model weights from. ``torch.load(weights_only=True)``
refuses anything that is not plain tensors, so a file that would run code when unpickled is turned
away before any of it runs; the same bundle is logged with every MLflow run, so a registry version is
loaded the same way.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from retail_desktop.errors import UserError
from retail_desktop.project.atomic import atomic_write_bytes, atomic_write_text

from .features import FeatureSettings
from .model import BehaviorNet, ModelConfig

BUNDLE_FORMAT = "retail-behavior-bundle/1"
WEIGHTS_NAME = "state_dict.pt"
CONFIG_NAME = "config.json"


@dataclass
class ModelBundle:
    net: BehaviorNet
    classes: list[str]
    settings: FeatureSettings
    taxonomy: str
    info: dict[str, Any] = field(default_factory=dict)   # training config, metrics, data description
    source: str = ""                                      # where it was loaded from (for labels in the store)

    def config(self) -> dict[str, Any]:
        return {"format": BUNDLE_FORMAT, "classes": self.classes, "taxonomy": self.taxonomy,
                "features": self.settings.to_dict(), "model": self.net.config.to_dict(), "info": self.info}


def save_bundle(bundle: ModelBundle, folder: str | Path) -> Path:
    """Write the bundle into ``folder`` (created); both files are written atomically."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the model folder ({exc.strerror or exc})", folder) from exc
    import io

    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in bundle.net.state_dict().items()}, buf)
    atomic_write_bytes(folder / WEIGHTS_NAME, buf.getvalue())
    atomic_write_text(folder / CONFIG_NAME, json.dumps(bundle.config(), indent=2, default=str))
    return folder




def _names_code(path: Path) -> bool:
    """Whether a file refused by the tensors-only loader is a pickle that imports or calls something.

    Walks the opcodes with :mod:`pickletools` (which never executes them); inside torch's zip format
    the pickle is ``*/data.pkl``. Only used to word the message: the file is refused either way."""
    import pickletools
    import zipfile

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.endswith("data.pkl")]
                blob = zf.read(names[0]) if names else b""
        else:
            blob = path.read_bytes()
        # Tensors are rebuilt through whitelisted torch globals, so only a non-torch global counts.
        ops = list(pickletools.genops(blob))
    except Exception:
        return False
    for i, (op, arg, _) in enumerate(ops):
        if op.name == "GLOBAL" and arg and not str(arg).startswith(("torch", "collections")):
            return True
        if op.name == "STACK_GLOBAL":
            strings = [a for _, a, _ in ops[:i] if isinstance(a, str)]
            module = strings[-2] if len(strings) >= 2 else ""
            if not module.startswith(("torch", "collections")):
                return True
    return False


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors from a weights file, refusing anything else (pickled objects, code, garbage)."""
    path = Path(path)
    if not path.is_file():
        raise UserError("model weights file not found", path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not _names_code(path):
            raise UserError("is not a readable weights file (not a PyTorch state dict)", path) from exc
        raise UserError("refused: not a plain weights file (it holds Python objects that could run code when "
                        "loaded); only state dicts of tensors are accepted", path) from exc
    except Exception as exc:  # zip/format errors, truncated files
        raise UserError(f"is not a readable weights file ({type(exc).__name__}: {exc})"[:300], path) from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError("refused: not a state dict (a mapping of names to tensors)", path)
    return state


def load_bundle(folder: str | Path) -> ModelBundle:
    """A bundle folder (or its ``state_dict.pt``)."""
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    cfg_path = folder / CONFIG_NAME
    try:
        cfg = json.loads(cfg_path.read_text())
    except FileNotFoundError:
        raise UserError("model config.json not found (a model is a folder with state_dict.pt and config.json)",
                        cfg_path) from None
    except (OSError, ValueError) as exc:
        raise UserError(f"model config is not readable JSON ({exc})", cfg_path) from exc
    if cfg.get("format") != BUNDLE_FORMAT:
        raise UserError(f"not a behaviour model config (format {cfg.get('format')!r}, expected {BUNDLE_FORMAT})",
                        cfg_path)
    state = load_state_dict(folder / WEIGHTS_NAME)
    try:
        settings = FeatureSettings.from_dict(cfg["features"])
        net = BehaviorNet(ModelConfig.from_dict(cfg["model"]))
        net.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise UserError(f"weights do not match the model config ({str(exc).splitlines()[0][:200]})", folder) from exc
    net.eval()
    return ModelBundle(net, list(cfg["classes"]), settings, str(cfg.get("taxonomy", "")), cfg.get("info", {}),
                       source=f"file:{folder}")
