"""Lake faults on a real S3 endpoint (moto's standalone server on loopback): the server stops in the
middle of a commit, or answers errors. The committed partition stays readable; the next commit converges."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pyarrow as pa
import pytest

from conftest import _free_port
from strataflow.lake import LakeStorage, Spool, commit_partition, read_committed

PREFIX = "raw/shop/orders/ingestion_date=2025-01-01"
SCHEMA = pa.schema([("id", pa.int64())])


def commit(storage: LakeStorage, ids: range) -> None:
    with Spool(SCHEMA, rows_per_file=10) as spool:
        spool.write(pa.record_batch([pa.array(list(ids), pa.int64())], schema=SCHEMA))
        commit_partition(
            storage, layer="raw", source="shop", table="orders", partition="2025-01-01", files=spool.finish()
        )


def committed_ids(storage: LakeStorage) -> list[int]:
    committed = read_committed(storage, PREFIX)
    assert committed is not None
    return committed[1].column("id").to_pylist()


class FaultyS3Proxy:
    """A loopback HTTP proxy in front of the S3 server that can answer chosen requests with an error."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.fail: Callable[[str, str], int | None] = lambda method, path: None
        self.connections: list[socket.socket] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                proxy.connections.append(self.connection)

            def _body(self) -> bytes | None:
                if self.headers.get("Expect", "").lower() == "100-continue":
                    self.send_response_only(100)
                    self.end_headers()
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else None

            def _forward(self) -> None:
                body = self._body()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "transfer-encoding")}
                if body is not None:
                    headers["Content-Length"] = str(len(body))
                status = proxy.fail(self.command, self.path)
                if status is not None:
                    payload = (
                        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                        + {503: b"SlowDown", 403: b"AccessDenied"}.get(status, b"InternalError")
                        + b"</Code><Message>injected fault</Message></Error>"
                    )
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(name, value)
                length = response.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop listening and cut the open (keep-alive) connections: the endpoint is gone."""
        self.server.shutdown()
        self.server.server_close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultyS3Proxy]:
    p = FaultyS3Proxy(s3_endpoint)
    yield p
    p.close()


def test_manifest_put_failing_keeps_the_previous_state(proxy: FaultyS3Proxy, s3_bucket: str) -> None:
    storage = LakeStorage.s3(s3_bucket, "lake", endpoint_url=proxy.url)
    commit(storage, range(25))
    # 403 AccessDenied on the manifest's upload (a 500 would be retried by the S3 client and succeed)
    proxy.fail = lambda method, path: 403 if method == "PUT" and path.split("?")[0].endswith("_manifest.json") else None
    with pytest.raises(OSError):
        commit(storage, range(100, 130))
    assert committed_ids(storage) == list(range(25))  # the new data files are there, but invisible
    proxy.fail = lambda method, path: None
    commit(storage, range(100, 130))
    assert committed_ids(storage) == list(range(100, 130))


def test_throttling_answers_are_retried(proxy: FaultyS3Proxy, s3_bucket: str) -> None:
    """503 SlowDown on the first tries of each data-file PUT: the S3 client retries, the commit succeeds."""
    storage = LakeStorage.s3(s3_bucket, "lake", endpoint_url=proxy.url)
    seen: dict[str, int] = {}

    def throttle(method: str, path: str) -> int | None:
        if method != "PUT" or not path.split("?")[0].endswith(".parquet"):
            return None
        seen[path] = seen.get(path, 0) + 1
        return 503 if seen[path] == 1 else None

    proxy.fail = throttle
    commit(storage, range(25))
    assert committed_ids(storage) == list(range(25))
    assert seen and all(n == 2 for n in seen.values())


def test_the_s3_server_stopping_mid_commit_keeps_the_previous_state(s3_endpoint: str, s3_bucket: str) -> None:
    """The endpoint goes away after the first data file of a commit (the proxy stops answering)."""
    proxy = FaultyS3Proxy(s3_endpoint)
    storage = LakeStorage.s3(s3_bucket, "lake", endpoint_url=proxy.url)
    commit(storage, range(25))
    real_upload = storage.upload
    uploads = 0

    def upload_then_server_dies(path, key):  # type: ignore[no-untyped-def]
        nonlocal uploads
        real_upload(path, key)
        uploads += 1
        if uploads == 1:
            proxy.close()  # nothing listens on the port any more

    storage.upload = upload_then_server_dies  # type: ignore[method-assign]
    with pytest.raises(OSError):
        commit(storage, range(100, 130))
    assert uploads == 1

    survivor = LakeStorage.s3(s3_bucket, "lake", endpoint_url=s3_endpoint)  # the server is back
    assert committed_ids(survivor) == list(range(25))
    commit(survivor, range(100, 130))
    assert committed_ids(survivor) == list(range(100, 130))
    listed = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").list_objects_v2(
        Bucket=s3_bucket, Prefix=f"lake/{PREFIX}/"
    )
    # 3 files of the first commit, 1 of the failed one, 3 of the last, the manifest: leftovers wait for
    # the sweep's grace period (a concurrent commit might still name them)
    assert len([o for o in listed["Contents"] if not o["Key"].endswith("/")]) == 8


def test_a_manifest_naming_lost_files_is_repaired_by_the_next_commit(tmp_path: Path) -> None:
    """Damage from outside (or from the old race): the same data committed again is written anew, not
    skipped as 'unchanged' because the manifest's batch id matches."""
    storage = LakeStorage.local(tmp_path / "lake")
    commit(storage, range(25))
    victim = next(key for key in storage.list_files(PREFIX) if key.endswith(".parquet"))
    storage.delete(victim)
    with pytest.raises(FileNotFoundError):
        read_committed(storage, PREFIX)
    commit(storage, range(25))
    assert committed_ids(storage) == list(range(25))
