"""The C++ client as another project uses it: installed from the build into a fresh prefix, the
example clients/cpp/examples/find_slots configured and built against that copy alone (a cmake of
its own, in a folder outside the tree), then run against a live server with data made here."""

import datetime
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

SOURCE_DIR = os.environ["INFRASHARE_SOURCE_DIR"]
BUILD_DIR = os.environ["INFRASHARE_BUILD_DIR"]
sys.path.insert(0, os.path.join(SOURCE_DIR, "clients", "python"))

import grpc  # noqa: E402

from infrashare import Client, InfrashareError, from_datetime  # noqa: E402
from infrashare.registry.v1 import registry_pb2  # noqa: E402
from infrashare.scheduler.v1 import scheduler_pb2  # noqa: E402

ADMIN = "cpp-package-test-bootstrap-admin"
ZWOLLE = (52.5125, 6.0910)  # the example's centre
CMAKE = os.environ.get("CMAKE_COMMAND", "cmake")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def work():
    folder = tempfile.mkdtemp(prefix="infrashare-cpp-package-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def example(work):
    """The example's binary, built against the installed package only."""
    prefix = os.path.join(work, "prefix")
    run(CMAKE, "--install", BUILD_DIR, "--prefix", prefix)
    for path, _, files in os.walk(prefix):
        for name in files:
            if name.endswith(".cmake"):
                with open(os.path.join(path, name)) as text:
                    content = text.read()
                assert (
                    SOURCE_DIR not in content and BUILD_DIR not in content
                ), f"{name} points back into the tree"
    source = os.path.join(work, "find_slots")
    shutil.copytree(os.path.join(SOURCE_DIR, "clients", "cpp", "examples", "find_slots"), source)
    build = os.path.join(work, "find_slots-build")
    # Only the prefix: not the tree, not CMake's registry of packages built elsewhere.
    run(
        CMAKE,
        "-S",
        source,
        "-B",
        build,
        f"-DCMAKE_PREFIX_PATH={prefix}",
        "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
    )
    with open(os.path.join(build, "CMakeCache.txt")) as cache:
        found = [line.strip() for line in cache if line.startswith("infrashareClient_DIR:")]
    assert found == [f"infrashareClient_DIR:PATH={prefix}/lib/cmake/infrashareClient"]
    run(CMAKE, "--build", build)
    return os.path.join(build, "find_slots")


@pytest.fixture(scope="module")
def server(work):
    redis_port, port = free_port(), free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", work],
        stdout=subprocess.DEVNULL,
    )
    env = dict(
        os.environ,
        INFRASHARE_REDIS_URL=f"redis://127.0.0.1:{redis_port}",
        INFRASHARE_LISTEN=f"127.0.0.1:{port}",
        INFRASHARE_METRICS_LISTEN="",
        INFRASHARE_HEALTH_LISTEN="",
        INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN=ADMIN,
        INFRASHARE_LOG_LEVEL="warn",
    )
    process = subprocess.Popen(
        [os.environ["INFRASHARE_SERVER_BIN"]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield f"127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    redis.kill()
    redis.wait()


def create_lab(admin, resource_id, name, point, kind=registry_pb2.RESOURCE_KIND_LAB):
    admin.call(
        admin.registry.CreateResource,
        registry_pb2.CreateResourceRequest(
            resource_id=resource_id,
            resource=registry_pb2.Resource(
                display_name=name,
                kind=kind,
                owner_organization_id="pkg-partner",
                location=registry_pb2.Location(
                    point=registry_pb2.GeoPoint(latitude=point[0], longitude=point[1])
                ),
                time_zone="UTC",
            ),
        ),
    )
    admin.call(
        admin.registry.PublishAvailability,
        registry_pb2.PublishAvailabilityRequest(
            resource_id=resource_id,
            rules=[
                registry_pb2.AvailabilityRule(
                    rrule="FREQ=DAILY",
                    start_time="08:00",
                    duration_minutes=600,
                    valid_from="2026-01-01",
                )
            ],
        ),
    )


def seed(address, day):
    """Two labs near Zwolle, one in Enschede, a printer in Zwolle; the nearer lab is booked on the
    morning of `day`. Returns once the scheduler has every lab's hours."""
    # Eight attempts: the first call also waits (up to 13 s) for the server to come up.
    with Client(address, ADMIN, max_attempts=8) as admin:
        admin.call(
            admin.registry.CreateOrganization,
            registry_pb2.CreateOrganizationRequest(
                organization_id="pkg-partner",
                organization=registry_pb2.Organization(
                    display_name="Partner Zwolle", kind=registry_pb2.ORGANIZATION_KIND_COMPANY
                ),
            ),
        )
        create_lab(admin, "enschede-lab", "Smart Factory Enschede", (52.2215, 6.8937))
        create_lab(
            admin,
            "zwolle-printer",
            "3D-printer Zwolle",
            (52.5100, 6.0900),
            kind=registry_pb2.RESOURCE_KIND_EQUIPMENT,
        )
        create_lab(admin, "zwolle-lab", "Practoraat Lab Zwolle", (52.5100, 6.0900))
        create_lab(admin, "kampen-lab", "Fieldlab Kampen", (52.5550, 5.9110))
        morning = scheduler_pb2.CreateBookingRequest(
            resource_id="zwolle-lab",
            organization_id="pkg-partner",
            quantity=1,
            start_time=from_datetime(day + datetime.timedelta(hours=8)),
            end_time=from_datetime(day + datetime.timedelta(hours=12)),
        )
        for _ in range(100):  # the scheduler follows the registry: wait for the published hours
            try:
                admin.call(admin.scheduler.CreateBooking, morning)
                break
            except InfrashareError as error:
                assert error.reason == "OUTSIDE_AVAILABILITY", error
                time.sleep(0.1)
        else:
            pytest.fail("the scheduler never saw zwolle-lab's hours")
        for _ in range(100):  # published after zwolle-lab's; the follower may not have it yet
            free = admin.call(
                admin.scheduler.CheckAvailability,
                scheduler_pb2.CheckAvailabilityRequest(
                    resource_id="kampen-lab",
                    start_time=from_datetime(day),
                    end_time=from_datetime(day + datetime.timedelta(days=1)),
                ),
            ).free
            opening = (day + datetime.timedelta(hours=8), day + datetime.timedelta(hours=18))
            if [(f.start_time.ToSeconds(), f.end_time.ToSeconds()) for f in free] == [
                tuple(int(moment.timestamp()) for moment in opening)
            ]:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the scheduler never saw kampen-lab's hours")
        labs = admin.call(
            admin.registry.SearchResources,
            registry_pb2.SearchResourcesRequest(kinds=[registry_pb2.RESOURCE_KIND_LAB]),
        )
        assert sorted(hit.resource.id for hit in labs.hits) == [
            "enschede-lab",
            "kampen-lab",
            "zwolle-lab",
        ]


def kilometres(a, b):
    """Great-circle distance, as the registry's search computes it."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def sections(output):
    """The example's two lists, each line split into its columns."""
    labs, slots, current = [], [], None
    for line in output.splitlines():
        if line.startswith("Labs within"):
            current = labs
        elif line.startswith("Earliest"):
            current = slots
        elif line.startswith("  ") and current is not None:
            current.append(line.split())
    return labs, slots


def test_the_installed_example_finds_the_earliest_slot_of_each_lab_near_zwolle(example, server):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    day = datetime.datetime.combine(
        today + datetime.timedelta(days=28), datetime.time(), tzinfo=datetime.timezone.utc
    )
    seed(server, day)
    stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ")
    done = subprocess.run(
        [example, stamp],
        capture_output=True,
        text=True,
        env=dict(os.environ, INFRASHARE_SERVER=server, INFRASHARE_TOKEN=ADMIN),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    labs, slots = sections(done.stdout)
    # Nearest first; the printer is no lab, Enschede is 60 km away.
    assert [row[0] for row in labs] == ["zwolle-lab", "kampen-lab"], done.stdout
    for row, place in zip(labs, [(52.5100, 6.0900), (52.5550, 5.9110)]):
        assert float(row[1]) == pytest.approx(kilometres(ZWOLLE, place), abs=0.1), done.stdout
    # Kampen is free at opening; Zwolle's morning is booked, so its earliest 4 hours start at noon.
    assert [row[:2] for row in slots] == [
        [day.strftime("%Y-%m-%dT08:00:00Z"), "kampen-lab"],
        [day.strftime("%Y-%m-%dT12:00:00Z"), "zwolle-lab"],
    ], done.stdout
    assert f"from {stamp}:" in done.stdout


def test_the_installed_example_says_what_went_wrong(example, server):
    done = subprocess.run(
        [example, "2027-03-01T00:00:00Z"],
        capture_output=True,
        text=True,
        env=dict(os.environ, INFRASHARE_SERVER=server, INFRASHARE_TOKEN="not-a-token"),
    )
    assert done.returncode == 1
    assert done.stderr.startswith("find_slots: UNAUTHENTICATED"), done.stderr
