"""clients/python/README.md as a user follows it on Debian 12: its install block in a fresh folder
(Debian's python3, no package index), then its "Five lines" with that environment's Python against
a live server, changing nothing but the address and the token."""

import datetime
from zoneinfo import ZoneInfo
import os
import re
import shutil
import subprocess
import time

import pytest

# live_server puts clients/python on sys.path, so it comes before the infrashare imports.
from live_server import ADMIN, SOURCE_DIR, Redis, Server

from infrashare import Client, from_datetime
from infrashare.auth.v1 import auth_pb2
from infrashare.registry.v1 import registry_pb2
from infrashare.scheduler.v1 import scheduler_pb2

README = os.path.join(SOURCE_DIR, "clients", "python", "README.md")


def block_under(heading, language):
    """The first ```language block in the README after the line `heading`."""
    with open(README) as f:
        text = f.read()
    section = text[text.index(f"\n{heading}\n") :]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def partner():
    """A server, and a member token of the organisation whose lab the snippet books."""
    redis = Redis()
    server = Server(redis)
    with Client(server.address, ADMIN) as admin:
        admin.call(
            admin.registry.CreateOrganization,
            registry_pb2.CreateOrganizationRequest(
                organization_id="techoost",
                organization=registry_pb2.Organization(
                    display_name="TechOost",
                    kind=registry_pb2.ORGANIZATION_KIND_COMPANY,
                    sme=True,
                ),
            ),
        )
        admin.call(
            admin.registry.CreateResource,
            registry_pb2.CreateResourceRequest(
                resource_id="techoost-lab",
                resource=registry_pb2.Resource(
                    display_name="TechOost lab",
                    kind=registry_pb2.RESOURCE_KIND_LAB,
                    owner_organization_id="techoost",
                    location=registry_pb2.Location(
                        point=registry_pb2.GeoPoint(latitude=52.22, longitude=6.89)
                    ),
                    time_zone="UTC",
                ),
            ),
        )
        # A lab near Zwolle for "From a search to your calendar" (the first is 65 km away).
        admin.call(
            admin.registry.CreateResource,
            registry_pb2.CreateResourceRequest(
                resource_id="zwolle-lab",
                resource=registry_pb2.Resource(
                    display_name="Werkplaats Zwolle-Zuid",
                    kind=registry_pb2.RESOURCE_KIND_LAB,
                    owner_organization_id="techoost",
                    location=registry_pb2.Location(
                        point=registry_pb2.GeoPoint(latitude=52.49, longitude=6.11)
                    ),
                    time_zone="UTC",
                ),
            ),
        )
        for lab in ("techoost-lab", "zwolle-lab"):
            admin.call(
                admin.registry.PublishAvailability,
                registry_pb2.PublishAvailabilityRequest(
                    resource_id=lab,
                    rules=[
                        registry_pb2.AvailabilityRule(
                            rrule="FREQ=DAILY",
                            start_time="07:00",
                            duration_minutes=720,
                            valid_from="2026-01-01",
                        )
                    ],
                ),
            )
        member = admin.call(
            admin.tokens.CreateToken,
            auth_pb2.CreateTokenRequest(
                organization_id="techoost",
                roles=[auth_pb2.ROLE_MEMBER],
                description="readme",
            ),
        )
        # The scheduler follows the registry: wait until it has the lab's hours for next week.
        start = datetime.datetime.combine(
            datetime.date.today() + datetime.timedelta(days=7),
            datetime.time(8),
            datetime.timezone.utc,
        )
        for lab in ("techoost-lab", "zwolle-lab"):
            window = scheduler_pb2.CheckAvailabilityRequest(
                resource_id=lab,
                start_time=from_datetime(start),
                end_time=from_datetime(start + datetime.timedelta(hours=4)),
            )
            for _ in range(300):
                if admin.call(admin.scheduler.CheckAvailability, window).free:
                    break
                time.sleep(0.1)
    yield server.address, member.token
    server.stop()
    redis.stop()


def test_the_readme_install_and_five_lines_work_as_written(partner, tmp_path):
    address, token = partner
    # The repository as a user has it: only the package's folder matters to the install.
    shutil.copytree(
        os.path.join(SOURCE_DIR, "clients", "python"),
        tmp_path / "clients" / "python",
        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"),
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(PATH="/usr/bin:/bin", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    install = subprocess.run(
        ["bash", "-e", "-c", block_under("## Install", "sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    snippet = block_under("## Five lines", "python")
    assert snippet.count('"127.0.0.1:50051"') == 1 and snippet.count('"ist_..."') == 1
    snippet = snippet.replace('"127.0.0.1:50051"', f'"{address}"').replace(
        '"ist_..."', f'"{token}"'
    )
    python = str(tmp_path / ".venv" / "bin" / "python3")
    where = subprocess.run(
        [python, "-c", "import infrashare; print(infrashare.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.startswith(str(tmp_path / ".venv")), where.stdout + where.stderr
    run = subprocess.run(
        [python, "-"],
        input=snippet,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert 'resource_id: "techoost-lab"' in run.stdout, run.stdout
    assert 'organization_id: "techoost"' in run.stdout, run.stdout

    # The booking is there, next Monday from 09:00 in the Netherlands.
    with Client(address, ADMIN) as admin:
        bookings = admin.call(
            admin.scheduler.ListBookings,
            scheduler_pb2.ListBookingsRequest(resource_id="techoost-lab"),
        ).bookings
    assert len(bookings) == 1
    local = bookings[0].start_time.ToDatetime(tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert (local.weekday(), local.time()) == (0, datetime.time(9)), local


def test_the_readme_search_to_calendar_flow_works_as_written(partner, tmp_path):
    address, token = partner
    snippet = block_under("## From a search to your calendar", "python")
    assert snippet.count('"127.0.0.1:50051"') == 1 and snippet.count('"ist_..."') == 1
    snippet = snippet.replace('"127.0.0.1:50051"', f'"{address}"').replace(
        '"ist_..."', f'"{token}"'
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE_DIR, "clients", "python"))
    run = subprocess.run(
        ["/usr/bin/python3", "-"],
        input=snippet,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # The earliest slot: the lab near Zwolle (the other is 65 km away), next Monday from 07:00 UTC.
    with Client(address, ADMIN) as admin:
        bookings = admin.call(
            admin.scheduler.ListBookings,
            scheduler_pb2.ListBookingsRequest(resource_id="zwolle-lab"),
        ).bookings
    assert len(bookings) == 1
    start = bookings[0].start_time.ToDatetime()
    assert start.weekday() == 0 and start.time() == datetime.time(7), start
    assert 0 < (start.date() - datetime.date.today()).days <= 7
    assert (bookings[0].end_time.ToDatetime() - start) == datetime.timedelta(hours=4)
    assert bookings[0].title == "CNC-cursus"
    # What it printed, and the calendar file it wrote.
    assert "Werkplaats Zwolle-Zuid" in run.stdout and "CONFIRMED" in run.stdout, run.stdout
    assert bookings[0].id in run.stdout, run.stdout
    calendar = (tmp_path / "bookings.ics").read_text(encoding="utf-8")
    # The organisation's bookings: this one, and the one "Five lines" may have made.
    assert calendar.startswith("BEGIN:VCALENDAR"), calendar
    assert "SUMMARY:CNC-cursus" in calendar and "LOCATION:Werkplaats Zwolle-Zuid" in calendar
    assert start.strftime("DTSTART:%Y%m%dT%H%M%SZ") in calendar, calendar
