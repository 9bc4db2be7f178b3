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

import { Client, auth, registry, scheduler } from "../index";
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

// The README's code blocks, as a reader copies them into the fresh project: type-checked by tsc
// --strict as TypeScript modules against the installed package, and run as they are as ES modules
// (.mjs, plain JavaScript) against a real server, changing nothing but the server's address. The
// data they expect (a bookable lab near Zwolle) is made first.
function readmeBlock(heading: string, typed: boolean): string {
  const text = fs.readFileSync(path.join(packageDir, "README.md"), "utf8");
  const section = text.slice(text.indexOf(`\n${heading}\n`));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, `a ts block under ${heading}`);
  assert.equal(block[1].split('"127.0.0.1:50051"').length, 2, "the block names the address once");
  return block[1].replace('"127.0.0.1:50051"',
                          typed ? "process.env.INFRASHARE_SERVER as string" : "process.env.INFRASHARE_SERVER");
}

async function zwolleLabAndMember(): Promise<string> {
  const c = new Client(server.address, ADMIN);
  try {
    await c.call(c.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
      organizationId: "zwolle-college",
      organization: { displayName: "Zwolle College", kind: registry.OrganizationKind.ORGANIZATION_KIND_VOCATIONAL_SCHOOL },
    }));
    await c.call(c.registry, "createResource", registry.CreateResourceRequest.fromPartial({
      resourceId: "zwolle-werkplaats",
      resource: {
        displayName: "Werkplaats Zwolle-Zuid",
        kind: registry.ResourceKind.RESOURCE_KIND_LAB,
        ownerOrganizationId: "zwolle-college",
        location: { point: { latitude: 52.49, longitude: 6.11 } },
        timeZone: "UTC",
      },
    }));
    await c.call(c.registry, "publishAvailability", registry.PublishAvailabilityRequest.fromPartial({
      resourceId: "zwolle-werkplaats",
      rules: [{ rrule: "FREQ=DAILY", startTime: "07:00", durationMinutes: 720, validFrom: "2026-01-01" }],
    }));
    const member = await c.call(c.tokens, "createToken", auth.CreateTokenRequest.fromPartial({
      organizationId: "zwolle-college", roles: [auth.Role.ROLE_MEMBER], description: "README",
    }));
    // The scheduler follows the registry: wait (at most 30 s) until it has the lab's hours.
    const from = new Date(Date.now() + 8 * 24 * 60 * 60 * 1000);
    from.setUTCHours(8, 0, 0, 0);
    const window = scheduler.CheckAvailabilityRequest.fromPartial({
      resourceId: "zwolle-werkplaats", startTime: from, endTime: new Date(from.getTime() + 60 * 60 * 1000),
    });
    for (let i = 0; i < 300 && !(await c.call(c.scheduler, "checkAvailability", window)).free; i++)
      await new Promise((r) => setTimeout(r, 100));
    return member.token;
  } finally {
    c.close();
  }
}

test("the README's first calls and its search-to-calendar flow compile and run as written", async () => {
  const member = await zwolleLabAndMember();
  const env = { PATH: process.env.PATH, INFRASHARE_SERVER: server.address, INFRASHARE_TOKEN: member };
  // Type-checks the block as TypeScript and writes it as it is to <name>.mjs.
  const prepare = (heading: string, name: string) => {
    fs.writeFileSync(path.join(app, `${name}.mts`), readmeBlock(heading, true));
    run(process.execPath, [tsc, "--strict", "--noEmit", "--target", "ES2022", "--module", "nodenext",
                           "--moduleResolution", "nodenext", `${name}.mts`], app);
    fs.writeFileSync(path.join(app, `${name}.mjs`), readmeBlock(heading, false));
    run(process.execPath, ["--check", `${name}.mjs`], app);  // plain JavaScript as written
  };

  prepare("## First calls", "first-calls");
  const first = run(process.execPath, ["first-calls.mjs"], app, env);
  assert.match(first, /^acting for zwolle-college$/m);
  assert.match(first, /^no such resource$/m);

  prepare("## From a search to your calendar", "search-to-calendar");
  const out = run(process.execPath, ["search-to-calendar.mjs"], app, env);
  assert.match(out, /^Werkplaats Zwolle-Zuid .* BOOKING_STATE_CONFIRMED$/m, out);

  // The earliest slot was booked: next Monday 07:00-11:00 UTC (the lab opens at 07:00 UTC).
  const c = new Client(server.address, ADMIN);
  try {
    const listed = await c.call(c.scheduler, "listBookings", scheduler.ListBookingsRequest.fromPartial({ resourceId: "zwolle-werkplaats" }));
    assert.equal(listed.bookings.length, 1);
    const booked = listed.bookings[0];
    assert.equal(booked.startTime?.getUTCDay(), 1);
    assert.equal(booked.startTime?.getUTCHours(), 7);
    assert.equal(booked.endTime!.getTime() - booked.startTime!.getTime(), 4 * 60 * 60 * 1000);
    // "Next Monday" is 1 to 7 days ahead: on a Monday it is the one a week later, which is more
    // than 7 days from now once its opening hour is added.
    const daysAhead = (booked.startTime!.getTime() - Date.now()) / (24 * 60 * 60 * 1000);
    assert.ok(daysAhead > 0 && daysAhead < 8, `${daysAhead} days ahead`);
    assert.equal(booked.title, "CNC-cursus");
    assert.match(out, new RegExp(`^${booked.id} zwolle-werkplaats `, "m"), out);
  } finally {
    c.close();
  }
  // The watch example follows forever: compiled, not run.
  prepare("## Watching", "watching");
  const calendar = fs.readFileSync(path.join(app, "bookings.ics"), "utf8");
  assert.ok(calendar.startsWith("BEGIN:VCALENDAR"), calendar);
  assert.equal(calendar.split("BEGIN:VEVENT").length, 2, calendar);
  assert.match(calendar, /CNC-cursus/);
});
