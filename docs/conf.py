"""Sphinx configuration (``nox -s docs`` builds with warnings as errors)."""

from __future__ import annotations

import re
from typing import Any

import consul

project = "consul-client"
author = "consul-client developers"
release = consul.__version__
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"consul-client {release}"

myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
nitpicky = False

#: An endpoint method is written as returning the ``Call`` its client runs; the
#: reference shows what a blocking client's call returns.
_CALL = re.compile(r"^~?(?:consul\._http\.)?Call\[(.*)\]$")


def _unwrap_call(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: str, annotation: str
) -> tuple[str, str] | None:
    if annotation:
        match = _CALL.match(annotation.strip())
        if match:
            return signature, match.group(1)
    return None


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", _unwrap_call)
