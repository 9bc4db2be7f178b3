"""scripts/api-compat: passes on the API as it is and on additions, fails on wire-breaking changes."""

import os
import re
import shutil
import subprocess
import sys

import pytest

SOURCE = os.environ["INFRASHARE_SOURCE_DIR"]
CHECK = os.path.join(SOURCE, "scripts", "api-compat")
SCHEDULER = os.path.join("infrashare", "scheduler", "v1", "scheduler.proto")


def check(proto_dir):
    return subprocess.run(
        [sys.executable, CHECK],
        env=dict(os.environ, API_COMPAT_PROTO_DIR=str(proto_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture()
def proto(tmp_path):
    copy = tmp_path / "proto"
    shutil.copytree(os.path.join(SOURCE, "proto"), copy)
    return copy


def edit(proto, pattern, replacement):
    path = proto / SCHEDULER
    text = path.read_text()
    changed = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert changed != text, pattern
    path.write_text(changed)


def test_the_current_api_matches_the_snapshot():
    result = check(os.path.join(SOURCE, "proto"))
    assert result.returncode == 0, result.stderr


def test_adding_a_field_and_an_rpc_is_compatible(proto):
    edit(
        proto, r"^  string series_id = 17;.*$", "  string series_id = 17;\n  string room_note = 18;"
    )
    edit(
        proto,
        r"^  rpc GetBooking\(GetBookingRequest\) returns \(Booking\) \{",
        "  rpc PeekBooking(GetBookingRequest) returns (Booking);\n  rpc GetBooking(GetBookingRequest) returns (Booking) {",
    )
    result = check(proto)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "pattern,replacement,what",
    [
        (r"^  string title = 8;.*$", "", "removed"),  # field removed
        (r"^  string title = 8;", "  string title = 28;", "removed or renumbered"),  # renumbered
        (r"^  int32 quantity = 6;.*$", "  int64 quantity = 6;", "changed"),  # type changed
        (
            r"^  rpc CancelBooking\(CancelBookingRequest\) returns \(Booking\) \{\n(?:    .*\n)*?  \}\n",
            "",
            "CancelBooking",
        ),  # RPC removed
    ],
)
def test_wire_breaking_changes_fail(proto, pattern, replacement, what):
    edit(proto, pattern, replacement)
    result = check(proto)
    assert result.returncode == 1
    assert "breaking:" in result.stderr and what in result.stderr, result.stderr
