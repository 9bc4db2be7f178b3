// The TypeScript client against a real server and Redis (started here on free loopback ports).
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";

import { Client, InfrashareError, desk, registry, scheduler } from "../index";
import { ADMIN, Redis, Server } from "./server";

let redis: Redis;
let server: Server;
let address = "";

before(async () => {
  redis = await Redis.start();
  server = await Server.start(redis.url);
  address = server.address;
});

after(async () => {
  await server.stop();
  await redis.stop();
});

test("a partner registers, searches, books and cancels", async () => {
  const c = new Client(address, ADMIN);
  await c.call(c.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
    organizationId: "ts-lab-owner",
    organization: { displayName: "TS Lab Owner", kind: registry.OrganizationKind.ORGANIZATION_KIND_COMPANY },
  }));
  const lab = await c.call(c.registry, "createResource", registry.CreateResourceRequest.fromPartial({
    resourceId: "ts-printer",
    resource: {
      displayName: "Metaalprinter Twente",
      kind: registry.ResourceKind.RESOURCE_KIND_EQUIPMENT,
      ownerOrganizationId: "ts-lab-owner",
      location: { point: { latitude: 52.2, longitude: 6.9 } },
    },
  }));
  assert.equal(lab.id, "ts-printer");
  const published = await c.call(c.registry, "publishAvailability", registry.PublishAvailabilityRequest.fromPartial({
    resourceId: "ts-printer",
    rules: [{ rrule: "FREQ=DAILY", startTime: "07:00", durationMinutes: 720, validFrom: "2026-01-01" }],
  }));
  assert.equal(published.etag, "1");
  const found = await c.call(c.registry, "searchResources", registry.SearchResourcesRequest.fromPartial({ textPrefix: "metaalprint" }));
  assert.deepEqual(found.hits.map((h) => h.resource?.id), ["ts-printer"]);

  const start = new Date(Date.now() + 40 * 24 * 3600 * 1000);
  start.setUTCHours(9, 0, 0, 0);
  const end = new Date(start.getTime() + 2 * 3600 * 1000);
  // The scheduler follows the registry's change log: retry until it knows the published hours.
  const request = scheduler.CreateBookingRequest.fromPartial({
    resourceId: "ts-printer", organizationId: "ts-lab-owner", quantity: 1, startTime: start, endTime: end, title: "Print run",
  });
  const early = scheduler.CreateBookingRequest.fromPartial({
    ...request, startTime: new Date(start.getTime() - 4 * 3600 * 1000), endTime: new Date(start.getTime() - 3 * 3600 * 1000),
  });
  for (let i = 0; i < 50; i++) {
    try {
      const stray = await c.call(c.scheduler, "createBooking", early);  // 05:00: outside the hours
      await c.call(c.scheduler, "cancelBooking", scheduler.CancelBookingRequest.fromPartial({ id: stray.id, reason: "probe" }));
      await new Promise((r) => setTimeout(r, 100));
    } catch (e) {
      assert.equal((e as InfrashareError).reason, "OUTSIDE_AVAILABILITY");
      break;
    }
  }
  const booking = await c.call(c.scheduler, "createBooking", request);
  assert.equal(booking.state, scheduler.BookingState.BOOKING_STATE_CONFIRMED);
  assert.equal(booking.startTime?.getTime(), start.getTime());

  await assert.rejects(
    c.call(c.scheduler, "createBooking", scheduler.CreateBookingRequest.fromPartial({
      resourceId: "ts-printer", organizationId: "ts-lab-owner", quantity: 1, startTime: start, endTime: end,
    })),
    (e: InfrashareError) =>
      e.code === grpc.status.FAILED_PRECONDITION &&
      e.codeName === "FAILED_PRECONDITION" &&
      e.reason === "SLOT_TAKEN" &&
      e.message === `FAILED_PRECONDITION: ${e.details}`,
  );
  const cancelled = await c.call(c.scheduler, "cancelBooking", scheduler.CancelBookingRequest.fromPartial({ id: booking.id, reason: "moved" }));
  assert.equal(cancelled.state, scheduler.BookingState.BOOKING_STATE_CANCELLED);
  c.close();
});

test("a partner's question is routed, accepted and answered through the desk", async () => {
  const c = new Client(address, ADMIN);
  for (const id of ["ts-bakery", "ts-fablab"])
    await c.call(c.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
      organizationId: id, organization: { displayName: id, kind: registry.OrganizationKind.ORGANIZATION_KIND_COMPANY },
    }));
  await c.call(c.registry, "createNetwork", registry.CreateNetworkRequest.fromPartial({
    networkId: "ts-net", network: { displayName: "TS network", memberOrganizationIds: ["ts-bakery", "ts-fablab"] },
  }));
  const responder = await c.call(c.desk, "createResponder", desk.CreateResponderRequest.fromPartial({
    responder: { organizationId: "ts-fablab", displayName: "Fablab desk", skills: [desk.NeedType.NEED_TYPE_TRAINING], capacity: 2, online: true },
  }));
  const asked = await c.call(c.desk, "submitInquiry", desk.SubmitInquiryRequest.fromPartial({
    entryOrganizationId: "ts-bakery", needType: desk.NeedType.NEED_TYPE_TRAINING, text: "Can our bakers learn CNC?",
    contact: { name: "Piet", email: "piet@example.org" },
  }));
  assert.equal(asked.networkId, "ts-net");
  let inquiry = asked;
  for (let i = 0; i < 100 && inquiry.state !== desk.InquiryState.INQUIRY_STATE_OFFERED; i++) {
    await new Promise((r) => setTimeout(r, 50));
    inquiry = await c.call(c.desk, "getInquiry", desk.GetInquiryRequest.fromPartial({ id: asked.id }));
  }
  assert.deepEqual(inquiry.offeredTo, [responder.id]);
  const accepted = await c.call(c.desk, "acceptInquiry", desk.AcceptInquiryRequest.fromPartial({ id: asked.id, responderId: responder.id }));
  assert.equal(accepted.state, desk.InquiryState.INQUIRY_STATE_ASSIGNED);
  const resolved = await c.call(c.desk, "resolveInquiry", desk.ResolveInquiryRequest.fromPartial({
    id: asked.id, responderId: responder.id, outcome: desk.Outcome.OUTCOME_TRAINING_ENROLLED,
  }));
  assert.equal(resolved.state, desk.InquiryState.INQUIRY_STATE_RESOLVED);
  await assert.rejects(
    c.call(c.desk, "recordFeedback", desk.RecordFeedbackRequest.fromPartial({ id: asked.id, feedback: { score: 9 } })),
    (e: InfrashareError) => e.code === grpc.status.INVALID_ARGUMENT && e.field === "feedback.score",
  );
  c.close();
});

test("plain JavaScript objects with only some fields are sent as meant", async () => {
  const c = new Client(address, ADMIN);
  // What a JavaScript caller writes: no fromPartial, most fields left out, nested ones too.
  const plain = (request: object) => request as never;
  await c.call(c.registry, "createOrganization", plain({ organizationId: "ts-plain", organization: { displayName: "Plain", kind: registry.OrganizationKind.ORGANIZATION_KIND_COMPANY } }));
  const created = await c.call(c.registry, "createResource", plain({
    resource: { displayName: "Zaag één", kind: registry.ResourceKind.RESOURCE_KIND_EQUIPMENT, ownerOrganizationId: "ts-plain",
      location: { point: { latitude: 52.5, longitude: 6.1 } } },
  }));
  assert.equal(created.displayName, "Zaag één");
  assert.equal(created.description, "");  // not "undefined"
  assert.equal(created.location?.address?.city ?? "", "");
  const found = await c.call(c.registry, "searchResources", plain({ textPrefix: "zaag" }));
  assert.deepEqual(found.hits.map((h) => h.resource?.id), [created.id]);
  c.close();
});

test("bad input is a typed error naming the field", async () => {
  const c = new Client(address, ADMIN);
  const start = new Date(Date.now() + 5 * 24 * 3600 * 1000);
  await assert.rejects(
    c.call(c.scheduler, "createBooking", scheduler.CreateBookingRequest.fromPartial({
      resourceId: "ts-printer", organizationId: "ts-lab-owner", quantity: 1, startTime: start,
      endTime: new Date(start.getTime() - 3600 * 1000),
    })),
    (e: InfrashareError) => e.code === grpc.status.INVALID_ARGUMENT && e.field === "end_time",
  );
  // A date that does not exist is the caller's mistake, found before anything is sent.
  await assert.rejects(
    c.call(c.scheduler, "createBooking", scheduler.CreateBookingRequest.fromPartial({
      resourceId: "ts-printer", organizationId: "ts-lab-owner", quantity: 1,
      startTime: new Date("2026-12-32T09:00"), endTime: start,
    })),
    (e: InfrashareError) => e.codeName === "INVALID_ARGUMENT" && e.reason === "REQUEST_NOT_ENCODABLE",
  );
  c.close();
});

test("the find-slots example runs", async () => {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.execPath, [path.join(__dirname, "..", "examples", "find-slots.js"), "manufacturing", "52.2", "6.9"], {
    env: { ...process.env, INFRASHARE_SERVER: address, INFRASHARE_TOKEN: ADMIN },
    encoding: "utf8",
  });
  assert.match(out, /\d+ slots in \d+ of the \d+ resources searched/);
});
