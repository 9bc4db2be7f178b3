"""A real Redis and real infrashare servers on free loopback ports, for the Python client's tests.

A server can be killed (SIGKILL) or stopped (SIGTERM) and started again on the same port, and
several servers can share one Redis (replicas).
"""

import datetime
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.environ["INFRASHARE_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SOURCE_DIR, "clients", "python"))

import grpc  # noqa: E402

from infrashare import Client, InfrashareError, from_datetime  # noqa: E402
from infrashare.scheduler.v1 import scheduler_pb2  # noqa: E402

ADMIN = "python-test-bootstrap-admin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """redis-server without persistence in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="infrashare-py-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
        )

    def cli(self, *args):
        """A redis-cli command's output."""
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout

    def stop(self):
        self.process.kill()
        self.process.wait()


class Server:
    """infrashare-server on a port of its own, against the given Redis."""

    def __init__(self, redis, env=None):
        self.redis = redis
        self.env = env or {}
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = os.path.join(redis.dir, f"server-{self.port}.log")
        self.process = None
        self.start()

    def start(self):
        """Starts the process (again, on the same port) and waits until it answers."""
        env = dict(
            os.environ,
            INFRASHARE_REDIS_URL=self.redis.url,
            INFRASHARE_LISTEN=self.address,
            INFRASHARE_METRICS_LISTEN="",
            INFRASHARE_HEALTH_LISTEN="",
            INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN=ADMIN,
            INFRASHARE_LOG_LEVEL="warn",
            **self.env,
        )
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [os.environ["INFRASHARE_SERVER_BIN"]],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        now = datetime.datetime.now(datetime.timezone.utc)
        # NOT_FOUND for its unknown resource once the server answers with its catalogues loaded.
        probe = scheduler_pb2.CheckAvailabilityRequest(
            resource_id="none",
            start_time=from_datetime(now),
            end_time=from_datetime(now + datetime.timedelta(hours=1)),
        )
        with Client(self.address, ADMIN, deadline_s=2, max_attempts=1) as client:
            for _ in range(600):
                try:
                    client.call(client.scheduler.CheckAvailability, probe)
                except InfrashareError as error:
                    if error.code == grpc.StatusCode.NOT_FOUND:
                        return
                if self.process.poll() is not None:
                    raise RuntimeError(f"infrashare-server exited with {self.process.returncode}")
                time.sleep(0.1)
        raise RuntimeError(f"infrashare-server did not answer on {self.address}")

    def kill(self):
        """SIGKILL: the server ends nothing, its streams break."""
        self.process.kill()
        self.process.wait()

    def stop(self):
        """SIGTERM: the server ends its streams with UNAVAILABLE and drains its calls."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
