"""The Python client with an OpenID Connect access token: a JWT signed by this test's own RSA key
(openssl), its issuer configured with the key in a JWKS file. The client sends it like any token,
over gRPC and over REST (urllib against the HTTP listener)."""

import base64
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import grpc
import pytest

# live_server puts clients/python on sys.path, so it comes before the infrashare imports.
from live_server import ADMIN, Redis, Server, free_port

from infrashare import Client, InfrashareError
from infrashare.auth.v1 import auth_pb2
from infrashare.registry.v1 import registry_pb2

ISSUER = "https://login.example-school.nl"
AUDIENCE = "infrashare-api"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class RsaKey:
    """An RSA key made with openssl, its public half as a JWK, and RS256 signatures."""

    def __init__(self, directory, kid):
        self.kid = kid
        self.pem = os.path.join(directory, f"{kid}.pem")
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
            + ["-out", self.pem],
            check=True,
            capture_output=True,
            timeout=60,
        )
        modulus = subprocess.run(
            ["openssl", "rsa", "-in", self.pem, "-noout", "-modulus"],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        n = bytes.fromhex(modulus.split("=", 1)[1])
        self.jwk = {"kty": "RSA", "kid": kid, "use": "sig", "n": b64url(n), "e": "AQAB"}

    def sign(self, claims):
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.pem],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
            timeout=30,
        ).stdout
        return f"{signing_input}.{b64url(signature)}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("oidc"))
    key = RsaKey(directory, "school-2026")
    keys_file = os.path.join(directory, "keys.json")
    with open(keys_file, "w") as out:
        json.dump({"keys": [key.jwk]}, out)
    issuers_file = os.path.join(directory, "issuers.yaml")
    with open(issuers_file, "w") as out:
        out.write(
            f"""issuers:
  - issuer: {ISSUER}
    audience: {AUDIENCE}
    jwks_file: {keys_file}
    algorithms: [RS256]
    rules:
      - when: {{schac_home_organization: graafschap.nl}}
        organization_id: py-graafschap
        roles: [MEMBER]
"""
        )
    redis = Redis()
    http = f"127.0.0.1:{free_port()}"
    live = Server(
        redis, env={"INFRASHARE_AUTH_OIDC_FILE": issuers_file, "INFRASHARE_HTTP_LISTEN": http}
    )
    with Client(live.address, ADMIN) as admin:
        admin.call(
            admin.registry.CreateOrganization,
            registry_pb2.CreateOrganizationRequest(
                organization_id="py-graafschap",
                organization=registry_pb2.Organization(
                    display_name="Graafschap College Doetinchem",
                    kind=registry_pb2.ORGANIZATION_KIND_VOCATIONAL_SCHOOL,
                ),
            ),
        )
    yield {"address": live.address, "http": http, "key": key}
    live.stop()
    redis.stop()


def claims(**changes):
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": "docent-jeroen",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "schac_home_organization": "graafschap.nl",
    }
    base.update(changes)
    return base


def test_the_client_calls_with_an_access_token_of_a_configured_issuer(world):
    token = world["key"].sign(claims())
    with Client(world["address"], token) as staff:
        me = staff.call(staff.tokens.WhoAmI, auth_pb2.WhoAmIRequest())
        assert me.organization_id == "py-graafschap"
        assert list(me.roles) == [auth_pb2.ROLE_MEMBER]
        assert me.id.startswith("oidc:")
        school = staff.call(
            staff.registry.GetOrganization, registry_pb2.GetOrganizationRequest(id="py-graafschap")
        )
        assert school.display_name == "Graafschap College Doetinchem"


def test_refused_tokens_raise_a_typed_error_with_their_reason(world):
    key = world["key"]
    cases = {
        "TOKEN_EXPIRED": key.sign(claims(exp=int(time.time()) - 3600)),
        "TOKEN_AUDIENCE_WRONG": key.sign(claims(aud="another-api")),
        "TOKEN_UNMAPPED": key.sign(claims(schac_home_organization="elders.nl")),
        "TOKEN_ISSUER_UNKNOWN": key.sign(claims(iss="https://login.elders.nl")),
    }
    for reason, token in cases.items():
        with Client(world["address"], token, max_attempts=1) as caller:
            with pytest.raises(InfrashareError) as refused:
                caller.call(caller.tokens.WhoAmI, auth_pb2.WhoAmIRequest())
            assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED, reason
            assert refused.value.reason == reason


def test_the_same_token_works_over_rest(world):
    token = world["key"].sign(claims())
    request = urllib.request.Request(
        f"http://{world['http']}/v1/organizations/py-graafschap",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        assert json.load(answer)["displayName"] == "Graafschap College Doetinchem"

    expired = world["key"].sign(claims(exp=int(time.time()) - 3600))
    request = urllib.request.Request(
        f"http://{world['http']}/v1/tokens:whoAmI",
        headers={"Authorization": f"Bearer {expired}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    status = json.load(refused.value)
    assert status["code"] == grpc.StatusCode.UNAUTHENTICATED.value[0]
    reasons = [d.get("reason") for d in status.get("details", [])]
    assert "TOKEN_EXPIRED" in reasons
