// The TypeScript client with an OpenID Connect access token: a JWT signed here with node's own
// crypto (RS256), its issuer configured with the public key in a JWKS file. The client sends it
// like any token.
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";

import { Client, InfrashareError, auth, registry } from "../index";
import { ADMIN, Redis, Server } from "./server";

const ISSUER = "https://login.example-school.nl";
const AUDIENCE = "infrashare-api";
const KID = "ts-school-2026";

const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function sign(claims: Record<string, unknown>): string {
  const header = { alg: "RS256", typ: "JWT", kid: KID };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(crypto.sign("sha256", Buffer.from(input), privateKey))}`;
}

function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER, sub: "docent-fleur", aud: AUDIENCE, iat: now, exp: now + 600,
    schac_home_organization: "rocvantwente.nl", ...changes,
  };
}

let redis: Redis;
let server: Server;

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "infrashare-ts-oidc-"));
  const keys = path.join(dir, "keys.json");
  fs.writeFileSync(keys, JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: KID, use: "sig" }] }));
  const issuers = path.join(dir, "issuers.yaml");
  fs.writeFileSync(issuers, `issuers:
  - issuer: ${ISSUER}
    audience: ${AUDIENCE}
    jwks_file: ${keys}
    algorithms: [RS256]
    rules:
      - when: {schac_home_organization: rocvantwente.nl}
        organization_id: ts-roc-twente
        roles: [MEMBER]
`);
  redis = await Redis.start();
  server = await Server.start(redis.url, { INFRASHARE_AUTH_OIDC_FILE: issuers });
  const admin = new Client(server.address, ADMIN);
  try {
    await admin.call(admin.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
      organizationId: "ts-roc-twente",
      organization: { displayName: "ROC van Twente", kind: registry.OrganizationKind.ORGANIZATION_KIND_VOCATIONAL_SCHOOL },
    }));
  } finally {
    admin.close();
  }
});

after(async () => {
  await server.stop();
  await redis.stop();
});

test("an access token of a configured issuer is sent like any token", async () => {
  const staff = new Client(server.address, sign(claims()));
  try {
    const me = await staff.call(staff.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
    assert.equal(me.organizationId, "ts-roc-twente");
    assert.deepEqual(me.roles, [auth.Role.ROLE_MEMBER]);
    assert.ok(me.id.startsWith("oidc:"), me.id);
    const school = await staff.call(staff.registry, "getOrganization", registry.GetOrganizationRequest.fromPartial({ id: "ts-roc-twente" }));
    assert.equal(school.displayName, "ROC van Twente");
  } finally {
    staff.close();
  }
});

test("a refused token is a typed error with its reason", async () => {
  const cases: Array<[string, string]> = [
    ["TOKEN_EXPIRED", sign(claims({ exp: Math.floor(Date.now() / 1000) - 3600 }))],
    ["TOKEN_AUDIENCE_WRONG", sign(claims({ aud: "another-api" }))],
    ["TOKEN_UNMAPPED", sign(claims({ schac_home_organization: "elders.nl" }))],
  ];
  for (const [reason, token] of cases) {
    const caller = new Client(server.address, token, undefined, 10000, 1);
    try {
      await assert.rejects(caller.call(caller.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({})), (error: unknown) => {
        assert.ok(error instanceof InfrashareError);
        assert.equal(error.code, grpc.status.UNAUTHENTICATED);
        assert.equal(error.reason, reason);
        return true;
      });
    } finally {
      caller.close();
    }
  }
});
