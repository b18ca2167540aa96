"""The endpoint groups, one module per page of Consul's HTTP API docs.

Nothing here performs I/O: each method builds a :class:`consul.Call` that the
client it hangs on sends.
"""
