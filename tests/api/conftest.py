"""The endpoint tests also run on python-consul's way of sending requests.

``consul.base.Consul`` hands each request to an ``http`` object of the
program's own (here ``consul.std.HTTPClient``) with python-consul's callback
protocol: one more adapter over the same endpoints, tested with them.
"""

from __future__ import annotations

import pytest
from harness import ENDPOINT_ADAPTERS


@pytest.fixture(params=ENDPOINT_ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    """Each adapter in turn, the callback adapter included."""
    return str(request.param)
