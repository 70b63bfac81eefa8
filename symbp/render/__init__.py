"""Output of derivation results: LaTeX, Markdown, whole documents from templates, PDF.

Rendering never derives: it prints the steps the derivations kept.

``symbp.render`` names two things: this package and the function that renders a
document (``symbp.render.documents.render``). Python binds a subpackage on its parent
as soon as any of its modules is imported, which would hide the function behind the
package; so the package is callable and calling it renders a document.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> str:
        from .documents import render

        return render(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
