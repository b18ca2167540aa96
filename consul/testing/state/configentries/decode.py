"""Decoding a configuration entry's body as Consul does, with ``mapstructure``.

``structs.DecodeConfigEntry`` (``agent/structs/config_entry.go``) decodes
the body, already parsed into a ``map[string]interface{}``, into the kind's
struct with ``mapstructure`` (v1.5), ``WeaklyTypedInput`` and four hooks:
``decode.HookWeakDecodeFromSlice`` (a one-element list stands for its
element), ``decode.HookTranslateKeys`` (the ``alias`` spellings,
``lib/decode/decode.go``), and the string-to-``time.Duration`` and
string-to-``time.Time`` hooks. It keeps the keys no field took
(``Metadata.Unused``), which ``validateUnusedKeys`` then refuses. The model
of ``mapstructure`` is :mod:`..mapstructure`, shared with the auth methods'
``ParseConfig``.
"""

from __future__ import annotations

from typing import Any

from ..gotypes import Struct
from ..mapstructure import MapDecodeError, decode

__all__ = ["MapDecodeError", "weak_decode"]


def weak_decode(data: Any, spec: Struct) -> tuple[dict[str, Any], list[str]]:
    """``data`` decoded into ``spec`` as ``DecodeConfigEntry`` does, with the keys no field took.

    See :func:`..mapstructure.decode`; raises :class:`MapDecodeError`.
    """
    return decode(data, spec, duration_strings=True)
