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


def test_hiding_applies_to_the_importing_thread_only_and_to_exact_module_names() -> None:
    """Another thread importing a hidden module meanwhile gets it (two runs in two threads: one importing
    spaCy with torch hidden must not take torch from the other); a dotted name hides that module only."""
    script = """
import importlib, json, sys, threading
from wisdoms._imports import hidden
other = {}
def elsewhere():
    other["colorsys"] = importlib.import_module("colorsys").__name__
with hidden("colorsys", "email.mime.text"):
    t = threading.Thread(target=elsewhere); t.start(); t.join()
    sys.modules.pop("colorsys", None)
    outcome = {}
    for name in ("colorsys", "email.mime.text", "email.mime.base"):
        try:
            importlib.import_module(name)
            outcome[name] = "imported"
        except ModuleNotFoundError as exc:
            outcome[name] = "hidden" if exc.name == name else exc.name
print(json.dumps({"other": other, "here": outcome}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "other": {"colorsys": "colorsys"},
        "here": {"colorsys": "hidden", "email.mime.text": "hidden", "email.mime.base": "imported"}}
