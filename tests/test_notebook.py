"""The tutorial notebook runs top to bottom in a fresh IPython kernel (nbclient), as CI runs it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.notebook

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def test_tutorial_executes_in_a_fresh_kernel():
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("nbclient/nbformat missing under CI: .ci/browser-and-notebook must install them")
        pytest.skip("pip install '.[notebook]' to run the tutorial")
    notebook = nbformat.read(TUTORIAL, as_version=4)
    # A cell that raises fails the run (CellExecutionError); allow_errors stays False.
    NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(TUTORIAL.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The explorer cell shows the page in a frame.
    assert any("<iframe" in o.get("data", {}).get("text/html", "") for o in outputs)
