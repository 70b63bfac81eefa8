"""Whole documents from templates (``documents``), PDF (``pdf``) and computation-graph pictures (``dot``);
``output`` turns them into the bytes of the file ``symbp render`` and ``symbp picture`` write.

Rendering never derives: the templates receive what the printers wrote. The function that
writes a whole document is ``symbp.document`` (``symbp.render.documents.document``).
"""
