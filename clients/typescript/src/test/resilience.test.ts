// Retries and watches across a server restart: server A is stopped (SIGTERM) and started again on
// the same port, server B is a second replica on the same Redis that stays up, so changes can be
// made while A is down.
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Client, InfrashareError, auth, registry, scheduler } from "../index";
import { ADMIN, Redis, Server } from "./server";

let redis: Redis;
let a: Server;
let b: Server;
let viaB: Client;

before(async () => {
  redis = await Redis.start();
  [a, b] = await Promise.all([Server.start(redis.url), Server.start(redis.url)]);
  viaB = new Client(b.address, ADMIN);
  await viaB.call(viaB.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
    organizationId: "zwolle-werkplaats",
    organization: { displayName: "Werkplaats Zwolle", kind: registry.OrganizationKind.ORGANIZATION_KIND_VOCATIONAL_SCHOOL },
  }));
});

after(async () => {
  viaB.close();
  await Promise.all([a.stop(), b.stop()]);
  await redis.stop();
});

function createLab(id: string): Promise<registry.Resource> {
  return viaB.call(viaB.registry, "createResource", registry.CreateResourceRequest.fromPartial({
    resourceId: id,
    resource: {
      displayName: `Lab ${id}`,
      kind: registry.ResourceKind.RESOURCE_KIND_LAB,
      ownerOrganizationId: "zwolle-werkplaats",
      location: { point: { latitude: 52.51, longitude: 6.09 } },
    },
  }));
}

// The next `count` resource ids the watch delivers (it must deliver them: the test's timeout bounds
// the wait).
async function nextIds(watch: AsyncIterator<registry.ResourceChange>, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const next = await watch.next();
    assert.equal(next.done, false, "the watch ended early");
    ids.push(next.value.resourceId);
  }
  return ids;
}

test("a watch re-opens after the server restarts and resumes after its last event", { timeout: 120000 }, async () => {
  const c = new Client(a.address, ADMIN);
  const reconnects: string[] = [];
  // From the start of the change log: a watch opened "from now" may start after the first write.
  const watch = c.watch(c.registry, "watchResources", registry.WatchResourcesRequest.fromPartial({ cursor: "reg1:0-0" }), {
    maxReconnects: 100,
    onReconnect: (error) => reconnects.push(error.codeName),
  });
  await createLab("voor-herstart");
  assert.deepEqual(await nextIds(watch, 1), ["voor-herstart"]);
  const cursor = watch.cursor;
  assert.notEqual(cursor, "reg1:0-0");

  await a.stop();
  await createLab("tijdens-herstart");  // through B while A is down: the watch must not miss it
  await a.resume();
  await createLab("na-herstart");
  assert.deepEqual(await nextIds(watch, 2), ["tijdens-herstart", "na-herstart"]);
  assert.ok(reconnects.length >= 1);
  assert.ok(reconnects.every((code) => code === "UNAVAILABLE"), reconnects.join());
  watch.close();
  assert.deepEqual(await watch.next(), { value: undefined, done: true });

  // A later watch from a saved cursor starts after it.
  const later = c.watch(c.registry, "watchResources", registry.WatchResourcesRequest.fromPartial({ cursor }));
  assert.deepEqual(await nextIds(later, 2), ["tijdens-herstart", "na-herstart"]);
  later.close();
  c.close();
});

test("a watch that cannot re-open ends with an InfrashareError, not an unhandled 'error' event", { timeout: 120000 }, async () => {
  const c = new Client(a.address, ADMIN);
  const watch = c.watch(c.registry, "watchResources", registry.WatchResourcesRequest.fromPartial({ cursor: "reg1:0-0" }), {
    maxReconnects: 2,
    backoffMs: 10,
  });
  assert.equal((await watch.next()).done, false);
  await a.stop();
  try {
    // The events before the failure come first, then the failure.
    for (let i = 0; i < 100; i++) await watch.next();
    assert.fail("the watch did not fail");
  } catch (e) {
    assert.ok(e instanceof InfrashareError, String(e));
    assert.equal(e.codeName, "UNAVAILABLE");
  } finally {
    await a.resume();
  }
  assert.deepEqual(await watch.next(), { value: undefined, done: true });
  c.close();
});

test("a refused watch surfaces as an InfrashareError naming the field, also when read later", async () => {
  const c = new Client(a.address, ADMIN);
  const watch = c.watch(c.scheduler, "watchBookings", scheduler.WatchBookingsRequest.fromPartial({ cursor: "bk1:not-a-cursor" }));
  // Nobody reads while the refusal arrives: it waits for the reader.
  await c.call(c.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
  await assert.rejects(watch.next(), (e: InfrashareError) => {
    assert.equal(e.codeName, "INVALID_ARGUMENT");
    assert.equal(e.field, "cursor");
    assert.match(e.message, /^INVALID_ARGUMENT: /);
    return true;
  });
  c.close();
});

test("calls are retried while the server restarts: reads, and writes with a request_id", { timeout: 120000 }, async () => {
  const once = new Client(a.address, ADMIN, undefined, 10000, 1);
  const patient = new Client(a.address, ADMIN, undefined, 10000, 12);  // up to 204 s of back-off
  await a.stop();
  await assert.rejects(
    once.call(once.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({})),
    (e: InfrashareError) => e.codeName === "UNAVAILABLE",
  );
  const request = registry.CreateOrganizationRequest.fromPartial({
    organizationId: "s-hertogenbosch-lab",
    organization: { displayName: "Lab 's-Hertogenbosch", kind: registry.OrganizationKind.ORGANIZATION_KIND_COMPANY },
  });
  const read = patient.call(patient.registry, "getOrganization", registry.GetOrganizationRequest.fromPartial({ id: "zwolle-werkplaats" }));
  const write = patient.call(patient.registry, "createOrganization", request);
  // PlanRotation writes a draft and takes no request_id: sent twice it could act twice, so it is
  // not retried. Retried, it would reach the restarted server and get its answer (NOT_FOUND).
  const plan = patient.call(patient.scheduler, "planRotation", scheduler.PlanRotationRequest.fromPartial({ poolId: "geen-pool" }));
  const planned = plan.then(
    () => "answered",
    (e: InfrashareError) => e.codeName,
  );
  await a.resume();
  assert.equal(await planned, "UNAVAILABLE");
  assert.equal((await read).displayName, "Werkplaats Zwolle");
  assert.equal((await write).displayName, "Lab 's-Hertogenbosch");
  assert.equal(request.requestId, "", "the caller's request is left as it was");

  // The write carried a request_id the client made (the audit trail keeps it).
  const audit = await viaB.call(viaB.tokens, "listAuditEvents", auth.ListAuditEventsRequest.fromPartial({}));
  const created = audit.events.filter((e) => e.method === "registry.CreateOrganization" && e.objectId === "s-hertogenbosch-lab");
  assert.equal(created.length, 1);
  assert.match(created[0].requestId, /^[0-9a-f]{32}$/);
  once.close();
  patient.close();
});
