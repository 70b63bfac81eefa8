"""Programs some tests need: missing, such a test skips on a workstation and fails under CI=true."""

from __future__ import annotations

import os
import shutil

import pytest


def require_programs(*names: str, hint: str = "") -> None:
    """Skip (fail under CI=true: a skip there would hide a broken set-up) unless every program is on PATH."""
    missing = [name for name in names if shutil.which(name) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed" + (f" ({hint})" if hint else "")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must provide it")
    pytest.skip(message)
