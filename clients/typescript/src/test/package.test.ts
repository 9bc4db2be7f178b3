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
let tmp = "";
let app = "";
let appFromPath = "";

// A command with a bound on its time; its output, or an error with its stderr.
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd, env, encoding: "utf8", timeout: 180000, stdio: ["ignore", "pipe", "pipe"] });
}

before(async () => {
  redis = await Redis.start();
  server = await Server.start(redis.url);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "infrashare-ts-package-"));
  // dist/ is built by the test's first step; prepack would only build it again.
  const tarball = run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", tmp], packageDir).trim();
  app = freshProject(tmp, "app", path.join(tmp, tarball));
  // From a path: --install-links copies the package (as packed) instead of linking to this tree.
  appFromPath = freshProject(tmp, "app-from-path", "--install-links", packageDir);
});

// A new project in `tmp` with the package installed by `npm install --omit=dev ...what`, from the
// npm cache where it has the packages (the registry otherwise).
function freshProject(tmp: string, name: string, ...what: string[]): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }));
  run("npm", ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...what], dir);
  return dir;
}

after(async () => {
  await server.stop();
  await redis.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
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

const ES_MODULE = `import { Client, auth } from "@infrashare/client";
const c = new Client(process.env.INFRASHARE_SERVER, process.env.INFRASHARE_TOKEN);
const who = await c.call(c.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
console.log(JSON.stringify({ roles: who.roles }));
c.close();
`;

for (const [how, project] of [
  ["from the packed tarball", () => app],
  ["from a path", () => appFromPath],
] as const) {
  test(`an ES module in a fresh project with the package installed ${how} calls a real server`, () => {
    const dir = project();
    assert.ok(!fs.lstatSync(path.join(dir, "node_modules", "@infrashare", "client")).isSymbolicLink());
    fs.writeFileSync(path.join(dir, "main.mjs"), ES_MODULE);
    const out = run(process.execPath, ["main.mjs"], dir, {
      PATH: process.env.PATH,
      INFRASHARE_SERVER: server.address,
      INFRASHARE_TOKEN: ADMIN,
    });
    assert.deepEqual(JSON.parse(out), { roles: [auth.Role.ROLE_PLATFORM_ADMIN] });
  });
}
