"""wisdoms._imports: hiding torch from imports that never need it."""

from __future__ import annotations

import json
import subprocess
import sys


def test_torch_hidden_fails_the_import_inside_leaves_sys_modules_alone_and_lets_torch_import_after() -> None:
    """In a fresh process (torch not yet loaded): inside the block 'import torch' fails and 'torch' is not put
    in sys.modules (SciPy reads sys.modules['torch'] to decide whether arrays are tensors); afterwards torch
    imports as usual, and a LazyModule gives the real module's attributes."""
    script = """
import json, sys
from wisdoms._imports import LazyModule, torch_hidden
with torch_hidden() as hidden:
    try:
        import torch
        inside = "imported"
    except ModuleNotFoundError as exc:
        inside = exc.name
    key = "torch" in sys.modules
    import scipy.stats  # looks torch up in sys.modules while it imports
lazy = LazyModule("torch")
loaded_before_use = "torch" in sys.modules
value = lazy.tensor([2]).tolist()
with torch_hidden() as again:
    import torch
print(json.dumps({"hidden": hidden, "inside": inside, "key": key, "lazy": value,
                  "loaded_before_use": loaded_before_use, "again": again, "real": torch.__name__}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "hidden": True, "inside": "torch", "key": False, "lazy": [2], "loaded_before_use": False,
        "again": False, "real": "torch"}
