"""Bind symbp's lazily exported ``check`` and ``render`` functions before any test imports their modules.

They share their names with the submodule ``symbp.check`` and the subpackage ``symbp.render``.
Whichever code first imports those by another route (the CLI's ``from .check import ...``)
makes Python rebind ``symbp.check`` to the module, and ``symbp.check(...)`` then fails in any
test that the same pytest-xdist worker runs later. Resolving them once here keeps the functions.
"""

import symbp

symbp.check, symbp.render  # noqa: B018 - the lookups are the point
