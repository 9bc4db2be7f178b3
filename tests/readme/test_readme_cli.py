"""The README's CLI examples, run as written against `make run`'s server and demo data.

`scripts/run` starts Redis and the server (from this build) in a directory of its own and loads the
demo catalogue; then every line of the README's "Calling it" block runs with the CLI of this build.
Placeholders such as `<inquiry id>` are filled from what earlier lines printed, as a reader would.
Each line must answer without a usage error and without INVALID_ARGUMENT, UNIMPLEMENTED or INTERNAL;
the few that depend on what came before may be refused for that reason alone (listed below with why).
"""

import contextlib
import http.server
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

SOURCE = os.environ["INFRASHARE_SOURCE_DIR"]
BUILD = os.environ["INFRASHARE_BUILD_DIR"]
CLI = os.path.join(BUILD, "clients", "cpp", "infrashare")

# Lines that follow offers or changes until stopped: they run for a few seconds and are stopped.
FOLLOWING = ("infrashare watch", "infrashare desk follow ")
# Refusals a line may meet because of what the lines before it did, and why that is right.
STATE_REFUSALS = {
    # The desk lines are a menu, not a script: once the inquiry is referred to another network,
    # the first network's responder can no longer decline or resolve it.
    # `desk follow --accept` runs for a few seconds: the question may go to another responder.
    "infrashare desk refer": ("FAILED_PRECONDITION",),
    "infrashare desk decline": ("FAILED_PRECONDITION", "NOT_FOUND"),
    "infrashare desk resolve": ("FAILED_PRECONDITION", "NOT_FOUND"),
    "infrashare desk feedback": ("FAILED_PRECONDITION",),
    "infrashare desk follow-up": ("FAILED_PRECONDITION",),
    # Confirming a hand-over is for its time (the demo's is weeks away) and for its two sides: the
    # admin token these lines run with is neither (NOT_FOUND, as for anyone not a side).
    "infrashare rotation confirm": ("FAILED_PRECONDITION", "NOT_FOUND"),
}
NEVER = (
    "INVALID_ARGUMENT",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAUTHENTICATED",
    "PERMISSION_DENIED",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_lines():
    """The commands of the README's first CLI block, continuation lines joined."""
    text = open(os.path.join(SOURCE, "README.md"), encoding="utf-8").read()
    return block_lines(text.split("## Calling it", 1)[1].split("```sh", 1)[1].split("```", 1)[0])


def block_lines(block):
    """A shell block's commands, continuation lines joined, comments left out."""
    lines, current = [], ""
    for raw in block.splitlines():
        current += raw.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        if current.strip() and not current.strip().startswith("#"):
            lines.append(current.strip())
        current = ""
    return lines


@pytest.fixture(scope="module")
def served():
    home = tempfile.mkdtemp(prefix="infrashare-readme-")
    listen = f"127.0.0.1:{free_port()}"
    env = dict(
        os.environ,
        INFRASHARE_RUN_DIR=os.path.join(home, "var"),
        INFRASHARE_RUN_REDIS_PORT=str(free_port()),
        INFRASHARE_LISTEN=listen,
        INFRASHARE_HTTP_LISTEN=f"127.0.0.1:{free_port()}",
        INFRASHARE_HTTP_TILE_URL="",
        INFRASHARE_METRICS_LISTEN="",
        INFRASHARE_HEALTH_LISTEN="",
        INFRASHARE_LOG_LEVEL="warn",
        # The webhook block's receiver is this test's, on loopback over http://: a real server
        # refuses both (config/infrashare.yaml).
        INFRASHARE_WEBHOOKS_ALLOW_HTTP="true",
        INFRASHARE_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
    )
    run = subprocess.Popen(
        [os.path.join(SOURCE, "scripts", "run"), BUILD],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = ""
    deadline = time.time() + 120
    while time.time() < deadline and "infrashare is serving" not in output:
        line = run.stdout.readline()
        if not line:
            break
        output += line
    assert "infrashare is serving" in output, output
    token = open(os.path.join(home, "var", "admin-token")).read().strip()
    yield {
        "server": listen,
        "token": token,
        "home": home,
        "http": "http://" + env["INFRASHARE_HTTP_LISTEN"],
    }
    os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C: the script stops the server and Redis
    try:
        run.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()


def shell_env(served):
    """The reader's shell: `infrashare` on PATH (this build's CLI), the server and token exported."""
    bin_dir = os.path.join(served["home"], "bin")
    os.makedirs(bin_dir, exist_ok=True)
    if not os.path.exists(os.path.join(bin_dir, "infrashare")):
        os.symlink(CLI, os.path.join(bin_dir, "infrashare"))
    return dict(
        os.environ,
        PATH=bin_dir + os.pathsep + os.environ["PATH"],
        INFRASHARE_SERVER=served["server"],
        INFRASHARE_TOKEN=served["token"],
    )


def sh(served, line, timeout=60):
    return subprocess.run(
        ["bash", "-c", line],
        env=shell_env(served),
        cwd=served["home"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def first_id(output):
    """The id a command printed: `id: X` as key and value, the first cell under ID, or a plan's."""
    found = re.search(r"^id: (\S+)$", output, re.M)
    if found:
        return found.group(1)
    rows = [line.split() for line in output.splitlines() if line.strip()]
    if len(rows) >= 2 and rows[0] and rows[0][0] == "ID":
        return rows[1][0]
    # A rotation plan's summary line: "plan plan_... (draft): ...".
    found = re.search(r"^plan (plan_\w+) ", output, re.M)
    return found.group(1) if found else None


def test_the_readme_cli_examples_run_as_written(served):
    # What a reader brings: a CSV of their own for `import`, and the ids earlier lines printed.
    with open(os.path.join(served["home"], "resources.csv"), "w", encoding="utf-8") as f:
        f.write("id;display_name;kind;owner_organization_id;latitude;longitude\n")
        f.write("readme-werkplaats;Werkplaats Één;lab;techoost-mbo;52,22;6,89\n")
    responders = json.loads(
        sh(served, "infrashare -o json desk responder list --org techoost-hbo").stdout
    )["responders"]
    values = {
        "<responder id>": responders[0]["id"],
        "<network>": "scale",
        "<mobile resource id>": "techoost-mobile-lab",
        "<unit id>": "techoost-mobile-lab",
    }
    # Which line's output gives which placeholder its value.
    gives = {
        "infrashare desk ask": "<inquiry id>",
        "infrashare programme create": "<event id>",
        "infrashare rotation pool create": "<pool id>",
        "infrashare rotation plan": "<plan id>",
        "infrashare rotation handovers": "<handover id>",
    }
    ran = 0
    shell_variables = []
    for line in readme_lines():
        if line.startswith("export "):
            continue  # the shell the lines run in has both exported
        if re.match(r"^[a-z_]+=", line):
            # `day=$(date ...)`: later lines use it, as in one shell (its comment left out)
            shell_variables.append(line.split(" #")[0])
            continue
        for placeholder, value in values.items():
            line = line.replace(placeholder, value)
        command = line.split(" #")[0]
        assert "<" not in command, f"no value for a placeholder in: {line}"
        assert line.startswith("infrashare "), line
        words = command.split()
        prefix = " ".join(words[:3])
        if line.startswith(FOLLOWING):
            follower = subprocess.Popen(
                ["bash", "-c", line],
                env=shell_env(served),
                cwd=served["home"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            time.sleep(3)
            assert follower.poll() is None, f"{line}: ended early: {follower.communicate()}"
            os.killpg(follower.pid, signal.SIGTERM)
            _, err = follower.communicate(timeout=10)
            assert not any(code in err for code in NEVER), f"{line}: {err}"
            ran += 1
            continue
        done = sh(served, "; ".join(shell_variables + [command]))
        said = done.stdout + done.stderr
        if done.returncode != 0:
            allowed = STATE_REFUSALS.get(prefix, ())
            assert any(code in said for code in allowed), f"{line}\n-> {done.returncode}: {said}"
        assert not any(code in said for code in NEVER), f"{line}\n-> {said}"
        assert done.returncode != 2 and "Usage" not in done.stderr, f"{line}\n-> {said}"
        key = gives.get(" ".join(words[:4])) or gives.get(prefix)
        if key and first_id(done.stdout):
            values[key] = first_id(done.stdout)
        ran += 1
    assert ran >= 40, f"only {ran} README lines ran"


def test_the_readmes_other_shell_blocks_run_as_written(served):
    """The calendar feed, publication, open-data and REST blocks, against the demo's HTTP listener."""
    text = open(os.path.join(SOURCE, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    wanted = [
        b
        for b in blocks
        if "export INFRASHARE_SERVER" not in b  # the first block: the test above
        and ("calendar-feed create" in b or '"publication"' in b or "/open/" in b or "/v1/" in b)
    ]
    assert len(wanted) == 4, wanted
    values = {}
    ran = 0
    for line in (line for b in wanted for line in block_lines(b)):
        line = line.replace("http://127.0.0.1:8080", served["http"])
        for placeholder, value in values.items():
            line = line.replace(placeholder, value)
        command = line.split(" #")[0]
        assert not re.search(r"<[a-z ]+>", command), f"no value for a placeholder in: {line}"
        done = sh(served, command)
        said = done.stdout + done.stderr
        assert done.returncode == 0, f"{line}\n-> {done.returncode}: {said}"
        assert not any(code in said for code in NEVER), f"{line}\n-> {said}"
        if "calendar-feed create" in line:
            address = re.search(r"(http://\S+/calendar/isc_\S+\.ics)", done.stdout)
            assert address, done.stdout
            calendar = subprocess.run(
                ["curl", "-sf", address.group(1)], capture_output=True, text=True
            )
            assert calendar.returncode == 0 and "BEGIN:VCALENDAR" in calendar.stdout
            # The feed's id, as the answer names it for revoking (the admin's token has no
            # organisation of its own to list feeds of).
            values["<feed id>"] = re.search(r"calendar-feed revoke (cal_\w+)", said).group(1)
        if "calendar-feed revoke" in line:
            gone = subprocess.run(
                [
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    address.group(1),
                ],
                capture_output=True,
                text=True,
            )
            assert gone.stdout == "404", gone.stdout
        if "geojson" in line:
            # A count (none by now: the block before made the demo's one listed lab private).
            assert done.stdout.strip().isdigit(), done.stdout
        if "grep -i etag" in line:
            etag = re.search(r'(?i)^etag: "([^"]+)"', done.stdout, re.M)
            assert etag, done.stdout
            values["<that etag>"] = etag.group(1)
        if "If-None-Match" in line:
            assert done.stdout.startswith("HTTP/1.1 304"), done.stdout
        ran += 1
        if "-X POST" in line and "/v1/bookings " in line:
            assert '"id"' in done.stdout and "techoost-lab" in done.stdout, done.stdout
        if "openapi.json" in line:
            document = json.load(open(os.path.join(served["home"], "openapi.json")))
            assert "/v1/bookings" in document["paths"], list(document["paths"])[:5]
    assert ran == 17, f"{ran} lines ran"


def test_the_readme_python_example_runs_as_written(served):
    """The README's Python block, with `make run`'s address and a lab of the demo for `<lab id>`."""
    text = open(os.path.join(SOURCE, "README.md"), encoding="utf-8").read()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert block.count('"127.0.0.1:50051"') == 1, block
    block = block.replace('"127.0.0.1:50051"', repr(served["server"])).replace(
        "<lab id>", "scale-lab"
    )
    done = subprocess.run(
        ["/usr/bin/python3", "-"],
        input=block,
        cwd=served["home"],  # where var/admin-token is, as in the checkout after `make run`
        env=dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "clients", "python")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    calendar = open(os.path.join(served["home"], "lab.ics"), encoding="utf-8").read()
    assert "Open dag digitale tweelingen" in calendar, calendar
    assert re.search(r"TZID=Europe/Amsterdam:\d{8}T140000", calendar), calendar


class FlaskLike:
    """Just enough of Flask for the README's receiver fragment: `@app.post(path)` and `request`."""

    def __init__(self):
        self.routes = {}
        self.request = None

    def post(self, path):
        def register(handler):
            self.routes[path] = handler
            return handler

        return register


class Delivery:
    def __init__(self, headers, body):
        self.headers = headers
        self._body = body

    def get_data(self):
        return self._body


def test_the_readme_webhook_block_and_receiver_run_as_written(served):
    """The webhook block's lines, and its receiver fragment receiving a real signed delivery.

    The subscription's target is the test's receiver on loopback over http:// in place of
    `https://planning.example.nl/...` (the demo server here allows both; a real one does not). The
    receiver runs the README's Python fragment unchanged under a Flask-like shim; what it prints
    must name the booking this test then makes for the subscribing organisation.
    """
    text = open(os.path.join(SOURCE, "README.md"), encoding="utf-8").read()
    section = text.split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    lines = block_lines(re.search(r"```sh\n(.*?)```", section, re.S).group(1))
    fragment = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(lines) == 2 and "webhook create https://" in lines[0], lines

    sys.path.insert(0, os.path.join(SOURCE, "clients", "python"))
    app, printed, answers = FlaskLike(), [], []
    scope = {"app": app, "SECRET": None}
    exec(compile(fragment, "README.md (webhook receiver)", "exec"), scope)

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            scope["request"] = Delivery(self.headers, body)
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    app.routes[self.path]()
                status = 200
            except ValueError:
                status = 400
            printed.extend(out.getvalue().splitlines())
            answers.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        target = f"http://127.0.0.1:{receiver.server_port}/infrashare"
        create = re.sub(r"https://\S+", target, lines[0].split(" #")[0])
        done = sh(served, create)
        assert done.returncode == 0, done.stdout + done.stderr
        secret = done.stdout.strip().splitlines()[0]
        assert secret.startswith("whsec_"), done.stdout
        scope["SECRET"] = secret
        subscription = re.search(r"Subscription (\S+):", done.stderr).group(1)

        day = sh(served, "date -d 'wednesday 5 weeks' +%F").stdout.strip()
        booked = sh(
            served,
            f"infrashare -o json booking create --resource techoost-lab --start {day}T14:00 "
            f"--end {day}T16:00 --title 'Webhook check' --for techoost-sme",
        )
        assert booked.returncode == 0, booked.stdout + booked.stderr
        booking = json.loads(booked.stdout)["id"]
        deadline = time.time() + 60
        while time.time() < deadline and not any(booking in line for line in printed):
            time.sleep(0.2)
        assert f"booking.created {booking}" in printed, (printed, answers)
        assert 400 not in answers, (printed, answers)

        deliveries = sh(served, lines[1].split(" #")[0].replace("<subscription id>", subscription))
        assert deliveries.returncode == 0, deliveries.stdout + deliveries.stderr
        assert "200" in deliveries.stdout, deliveries.stdout
    finally:
        receiver.shutdown()
