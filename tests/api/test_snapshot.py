"""``client.snapshot``: saving (into memory, a file, a stream) and restoring, on every client."""

from __future__ import annotations

import gzip
import io

import pytest
from harness import close_stream, take

import consul


def test_save_and_restore_bytes_as_py_consul_did(c):
    c.kv.put("k", "before")
    snapshot = c.snapshot.save()
    assert gzip.decompress(snapshot)  # Consul's gzip'd archive
    c.kv.put("k", "after")
    assert c.snapshot.restore(snapshot) is True
    assert c.kv.get("k")[1]["Value"] == b"before"


def test_save_to_a_path_and_restore_from_it(c, tmp_path):
    c.kv.put("k", "before")
    target = tmp_path / "backup.snap"
    index = c.snapshot.save_to(target)
    assert isinstance(index, int)
    assert index > 0
    assert gzip.decompress(target.read_bytes())
    c.kv.put("k", "after")
    assert c.snapshot.restore(str(target)) is True
    assert c.kv.get("k")[1]["Value"] == b"before"


def test_save_to_and_restore_from_open_files(c):
    c.kv.put("k", "before")
    out = io.BytesIO(b"header:")
    out.seek(7)
    c.snapshot.save_to(out)
    assert out.getvalue().startswith(b"header:\x1f\x8b")
    c.kv.put("k", "after")
    source = io.BytesIO(out.getvalue())
    source.seek(7)  # read from where the file stands
    assert c.snapshot.restore(source) is True
    assert c.kv.get("k")[1]["Value"] == b"before"
    assert not source.closed  # left open for its owner


def test_a_failed_save_leaves_no_file_and_keeps_an_old_one(connect, consul_acl_agent, tmp_path):
    anonymous = connect(consul_acl_agent)
    target = tmp_path / "backup.snap"
    with pytest.raises(consul.ACLPermissionDenied, match="acl:write"):
        anonymous.snapshot.save_to(target)
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(consul.ACLPermissionDenied):
        anonymous.snapshot.save_to(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["backup.snap"]


def test_stream_gives_the_snapshot_part_by_part(c):
    c.kv.put("k", "v")
    stream = c.snapshot.stream()
    try:
        assert int(stream.head.header("X-Consul-Index")) > 0
        parts = take(c, stream, 1000)
    finally:
        close_stream(c, stream)
    assert gzip.decompress(b"".join(parts))
    assert c.snapshot.restore(b"".join(parts)) is True


def test_a_bad_snapshot_is_consuls_error(c, tmp_path):
    with pytest.raises(
        consul.ServerError, match="failed to decompress snapshot: gzip: invalid header"
    ):
        c.snapshot.restore(b"not a snapshot")
    junk = tmp_path / "junk"
    junk.write_bytes(gzip.compress(b"x" * 1000))
    with pytest.raises(consul.ServerError, match="invalid tar header"):
        c.snapshot.restore(junk)


def test_arguments_are_checked_before_sending(c):
    with pytest.raises(TypeError, match="snapshot must be bytes, a path or a binary file"):
        c.snapshot.restore(12)
    with pytest.raises(TypeError, match="file must be a path or a binary file"):
        c.snapshot.save_to(12)


def test_snapshots_of_another_datacenter(c):
    with pytest.raises(consul.ServerError, match="No path to datacenter"):
        c.snapshot.save(dc="nowhere")
