"""``/v1/snapshot``: save a datacenter's state as a snapshot archive, or restore one.

Handlers follow ``agent/snapshot_endpoint.go`` and the server side of
``agent/consul/snapshot_endpoint.go`` (``dispatchSnapshotRequest``); the
archive is :mod:`..state.snapshot`'s (Consul's envelope, a state of our own).
"""

from __future__ import annotations

from ..state import snapshot
from .context import Ctx
from .reply import Reply, Write, empty_reply, stream_reply
from .routes import Routes

routes = Routes()

#: The size of each part of a saved snapshot as it is written out.
CHUNK = 64 * 1024


@routes("/v1/snapshot", "GET", "PUT")
async def snapshot_endpoint(ctx: Ctx) -> Reply:
    """``Snapshot``: ``GET`` saves (streams the archive), ``PUT`` restores (``acl:write``).

    Only ``?dc`` and ``?stale`` (present at all) are read; a restore with
    ``?stale`` is refused after the ACL check, as the server refuses it.
    """
    dc = ctx.dc
    ctx.require(ctx.authz.snapshot(), "acl:write")
    stale = ctx.flag("stale")
    core = ctx.agent
    raft = core.logger.named("server.raft")
    if ctx.method == "PUT":
        if stale:
            raise snapshot.SnapshotError("stale not allowed for restore")
        archive = await ctx.request.content.read()
        state = snapshot.read(archive)
        snapshot.restore(core, dc, state)
        return empty_reply()
    raft.info("starting snapshot up to", "index", dc.index)
    archive = snapshot.save(core, dc)
    raft.info("snapshot complete up to", "index", dc.index)
    ctx.set_meta(dc.index)
    # The headers go before the body; Go sniffs the gzip magic of its first write.

    async def stream(write: Write) -> None:
        for start in range(0, len(archive), CHUNK):
            await write(archive[start : start + CHUNK])

    return stream_reply(stream, "application/x-gzip")
