// The package as another project gets it: packed with `npm pack`, installed into a fresh project
// outside this repository with `npm install --omit=dev` (so a runtime dependency that only a dev
// dependency brings in is missing there), type-checked by tsc against the installed declarations,
// and run against a real server, as CommonJS and as an ES module.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";

import { auth } from "../index";
import { ADMIN, Redis, Server } from "./server";

const packageDir = path.resolve(__dirname, "..", "..");
const tsc = require.resolve("typescript/bin/tsc");
let redis: Redis;
let server: Server;
let app = "";

// A command with a bound on its time; its output, or an error with its stderr.
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd, env, encoding: "utf8", timeout: 180000, stdio: ["ignore", "pipe", "pipe"] });
}

before(async () => {
  redis = await Redis.start();
  server = await Server.start(redis.url);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "infrashare-ts-package-"));
  // dist/ is built by the test's first step; prepack would only build it again.
  const tarball = run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", tmp], packageDir).trim();
  app = path.join(tmp, "app");
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true }));
  // From the npm cache where it has the packages (the registry otherwise).
  run(
    "npm",
    ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", path.join(tmp, tarball)],
    app,
  );
});

after(async () => {
  await server.stop();
  await redis.stop();
});

// What an integrator's first program does: who am I, register a lab, find it, and read an error.
const SCRIPT = `
import { Client, InfrashareError, auth, registry } from "@infrashare/client";

async function main(): Promise<void> {
  const c = new Client(process.env.INFRASHARE_SERVER, process.env.INFRASHARE_TOKEN);
  const who = await c.call(c.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
  await c.call(c.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
    organizationId: "cafe-n",
    organization: { displayName: "Café Ñ", kind: registry.OrganizationKind.ORGANIZATION_KIND_COMPANY },
  }));
  await c.call(c.registry, "createResource", registry.CreateResourceRequest.fromPartial({
    resourceId: "cafe-n-werkplaats",
    resource: {
      displayName: "Café Ñ Werkplaats 's-Hertogenbosch",
      kind: registry.ResourceKind.RESOURCE_KIND_LAB,
      ownerOrganizationId: "cafe-n",
      location: { point: { latitude: 51.69, longitude: 5.3 } },
    },
  }));
  const found = await c.call(c.registry, "searchResources", registry.SearchResourcesRequest.fromPartial({ textPrefix: "café" }));
  let refused = "";
  try {
    await c.call(c.registry, "getResource", registry.GetResourceRequest.fromPartial({ id: "nergens" }));
  } catch (e) {
    if (!(e instanceof InfrashareError)) throw e;
    refused = e.codeName;
  }
  console.log(JSON.stringify({ organization: who.organizationId, hits: found.hits.map((h) => h.resource?.displayName), refused }));
  c.close();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

test("the packed package installs into a fresh project without dev dependencies", () => {
  const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules", "@infrashare", "client", "package.json"), "utf8"));
  assert.equal(installed.name, "@infrashare/client");
  for (const runtime of ["@grpc/grpc-js", "@bufbuild/protobuf"])
    assert.ok(fs.existsSync(path.join(app, "node_modules", runtime, "package.json")), `${runtime} is installed`);
  for (const dev of ["ts-proto", "typescript"])
    assert.ok(!fs.existsSync(path.join(app, "node_modules", dev)), `the dev dependency ${dev} is not installed`);
  // Only the library: no tests in the package.
  assert.ok(fs.existsSync(path.join(app, "node_modules", "@infrashare", "client", "dist", "index.d.ts")));
  assert.ok(!fs.existsSync(path.join(app, "node_modules", "@infrashare", "client", "dist", "test")));
});

test("a TypeScript program in the fresh project compiles against the package and calls a real server", () => {
  fs.writeFileSync(path.join(app, "main.ts"), SCRIPT);
  run(process.execPath, [tsc, "--strict", "--target", "ES2020", "--module", "commonjs", "--esModuleInterop", "main.ts"], app);
  const out = run(process.execPath, ["main.js"], app, {
    PATH: process.env.PATH,
    INFRASHARE_SERVER: server.address,
    INFRASHARE_TOKEN: `${ADMIN}\n`,
  });
  assert.deepEqual(JSON.parse(out), {
    organization: "platform",
    hits: ["Café Ñ Werkplaats 's-Hertogenbosch"],
    refused: "NOT_FOUND",
  });
});

test("an ES module in the fresh project imports the package by name and calls a real server", () => {
  fs.writeFileSync(
    path.join(app, "main.mjs"),
    `import { Client, auth } from "@infrashare/client";
const c = new Client(process.env.INFRASHARE_SERVER, process.env.INFRASHARE_TOKEN);
const who = await c.call(c.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
console.log(JSON.stringify({ roles: who.roles }));
c.close();
`,
  );
  const out = run(process.execPath, ["main.mjs"], app, {
    PATH: process.env.PATH,
    INFRASHARE_SERVER: server.address,
    INFRASHARE_TOKEN: ADMIN,
  });
  assert.deepEqual(JSON.parse(out), { roles: [auth.Role.ROLE_PLATFORM_ADMIN] });
});
