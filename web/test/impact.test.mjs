// The impact page in a real browser: a coordinator's token shows its network's report with the
// same numbers the RPC gives, drawn as charts too; without a token only a network that opted in
// shows a summary, and another network's coordinator is refused.
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN, Client, auth, impact, maybeScreenshot, openBrowser, programme, registry, scheduler, startServer } from "./harness.mjs";

let site;
let browser;
let coordinator = "";
let outsider = "";
let deskOnly = "";
const FROM = "2030-01-01";
const TO = "2030-02-01";  // the end of the half-open period the RPC and report.json take
const LAST_DAY = "2030-01-31";  // the page's "to": the last day counted

before(async () => {
  site = await startServer();
  const c = site.admin();
  for (const [id, sme] of [["zwolle-mbo", false], ["kaasmakerij-ijssel", true], ["metaal-deventer", true]])
    await c.call(c.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
      organizationId: id,
      organization: { displayName: id, kind: sme ? registry.OrganizationKind.ORGANIZATION_KIND_COMPANY : registry.OrganizationKind.ORGANIZATION_KIND_VOCATIONAL_SCHOOL, sme },
    }));
  for (const [id, open] of [["techoost", false], ["greenport", true]])
    await c.call(c.registry, "createNetwork", registry.CreateNetworkRequest.fromPartial({
      networkId: id,
      network: { displayName: id, memberOrganizationIds: ["zwolle-mbo", "kaasmakerij-ijssel", "metaal-deventer"], publicImpact: open },
    }));
  await c.call(c.registry, "createResource", registry.CreateResourceRequest.fromPartial({
    resourceId: "cnc-lab-zwolle",
    resource: {
      displayName: "CNC-lab Zwolle",
      kind: registry.ResourceKind.RESOURCE_KIND_LAB,
      ownerOrganizationId: "zwolle-mbo",
      sharedWithNetworkIds: ["techoost", "greenport"],
      location: { point: { latitude: 52.5, longitude: 6.09 }, region: { province: "PV23" } },
      bookingMode: registry.BookingMode.BOOKING_MODE_EXCLUSIVE,
      lifecycle: { state: registry.LifecycleState.LIFECYCLE_STATE_ACTIVE },
      terms: { kind: registry.TermsKind.TERMS_KIND_TARIFF, tariffPerHourCents: 2500 },
      smeAccessible: true,
    },
  }));
  const token = async (organizationId, roles, networkIds = [], services = []) =>
    (await c.call(c.tokens, "createToken", auth.CreateTokenRequest.fromPartial({ organizationId, roles, networkIds, services }))).token;
  coordinator = await token("zwolle-mbo", [auth.Role.ROLE_NETWORK_COORDINATOR], ["techoost"]);
  outsider = await token("metaal-deventer", [auth.Role.ROLE_NETWORK_COORDINATOR], ["greenport"]);
  deskOnly = await token("zwolle-mbo", [auth.Role.ROLE_NETWORK_COORDINATOR], ["techoost"], ["desk"]);
  // Bookings by two SMEs in January 2030 (one on its last day) and one in December 2029 (the
  // previous period).
  for (const [org, day] of [["kaasmakerij-ijssel", "2030-01-07"], ["metaal-deventer", "2030-01-08"], ["metaal-deventer", "2030-01-31"], ["kaasmakerij-ijssel", "2029-12-10"]]) {
    const member = new Client(site.grpcAddress, await token(org, [auth.Role.ROLE_MEMBER]));
    await member.call(member.scheduler, "createBooking", scheduler.CreateBookingRequest.fromPartial({
      resourceId: "cnc-lab-zwolle",
      startTime: new Date(`${day}T09:00:00Z`),
      endTime: new Date(`${day}T13:00:00Z`),
      requestId: `impact-page-${org}-${day}`,
    }));
    member.close();
  }
  // A masterclass in January 2030 with a place for an SME: the programme's figures and reach.
  const event = await c.call(c.programme, "createEvent", programme.CreateEventRequest.fromPartial({
    requestId: "impact-page-masterclass",
    event: {
      resourceId: "cnc-lab-zwolle",
      kind: programme.EventKind.EVENT_KIND_MASTERCLASS,
      title: "Masterclass CNC — Café Ñ",
      startTime: new Date("2030-01-15T09:00:00Z"),
      endTime: new Date("2030-01-15T12:00:00Z"),
      capacity: 10,
      registrationOpen: true,
      visibility: programme.EventVisibility.EVENT_VISIBILITY_PUBLIC,
    },
  }));
  const sme = new Client(site.grpcAddress, await token("kaasmakerij-ijssel", [auth.Role.ROLE_ORGANIZATION_ADMIN]));
  await sme.call(sme.programme, "register", programme.RegisterRequest.fromPartial({ eventId: event.id, places: 2 }));
  sme.close();
  c.close();
  browser = await openBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) site.stop();
});

async function openImpact(query, token, asked = []) {
  const page = await browser.newPage();
  page.on("request", (r) => {
    if (r.url().includes("/impact/report.json")) asked.push(new URL(r.url()).searchParams);
  });
  await page.setViewport({ width: 1200, height: 1400 });
  if (token) await page.evaluateOnNewDocument((t) => sessionStorage.setItem("infrashare-token", t), token);
  await page.goto(`${site.base}/impact${query}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  return page;
}

const cells = (page) => page.$$eval("#measures tbody tr", (rows) =>
  Object.fromEntries(rows.map((r) => [r.dataset.measure, [...r.querySelectorAll("td")].map((td) => td.textContent)])));

test("a coordinator sees the page's numbers equal to the RPC's, and the charts", async () => {
  const c = new Client(site.grpcAddress, coordinator);
  const report = await c.call(c.impact, "getImpactReport", impact.ImpactReportRequest.fromPartial({
    networkId: "techoost", startTime: new Date(`${FROM}T00:00:00Z`), endTime: new Date(`${TO}T00:00:00Z`),
  }));
  c.close();
  assert.equal(Number(report.current.sharedUse.bookings), 4);  // three by SMEs and the masterclass
  // The page's "to" is inclusive: January up to and including the 31st is the RPC's [Jan 1, Feb 1).
  const page = await openImpact(`?lang=en&network=techoost&from=${FROM}&to=${LAST_DAY}`, coordinator);
  assert.equal(await page.$eval("#report-title", (h) => h.textContent), `techoost, from ${FROM} up to and including ${LAST_DAY}`);
  const shown = await cells(page);
  const n = (v) => new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 }).format(Number(v));
  assert.deepEqual(shown.bookings, [n(report.current.sharedUse.bookings), n(report.previous.sharedUse.bookings)]);
  assert.deepEqual(shown.booked_hours, [n(report.current.sharedUse.usage.bookedHours), n(report.previous.sharedUse.usage.bookedHours)]);
  assert.deepEqual(shown.organizations, [n(report.current.reach.organizations), n(report.previous.reach.organizations)]);
  assert.deepEqual(shown.smes, [n(report.current.reach.smes), n(report.previous.reach.smes)]);
  assert.equal(Number(report.current.programme.events), 1);
  assert.equal(Number(report.current.programme.registrations), 2);
  assert.deepEqual(shown.events, [n(report.current.programme.events), n(report.previous.programme?.events ?? 0)]);
  assert.deepEqual(shown.registrations, [n(report.current.programme.registrations), n(report.previous.programme?.registrations ?? 0)]);
  assert.deepEqual(shown.through_events, [n(report.current.reach.throughEvents), n(report.previous.reach.throughEvents)]);
  const euros = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });
  assert.deepEqual(shown.tariff_revenue, [euros.format(Number(report.current.sharedUse.usage.tariffRevenueCents) / 100), euros.format(Number(report.previous.sharedUse.usage.tariffRevenueCents) / 100)]);
  assert.equal(shown.active_resources[0], n(report.resources.activeResources));
  // Both charts were drawn (Chart.js loaded from /vendor/ and gave each canvas a size).
  assert.equal(await page.$$eval("canvas", (all) => all.filter((c) => c.width > 0 && c.getAttribute("aria-label")).length), 2);
  await maybeScreenshot(page, "impact.png");
  await page.close();
});

test("the form's to-date counts its day: the page asks for the day after, and says t/m", async () => {
  let asked = [];
  let page = await openImpact(`?lang=nl&network=greenport&from=${FROM}&to=${LAST_DAY}`, "", asked);
  assert.deepEqual(asked.map((q) => [q.get("from"), q.get("to")]), [[FROM, TO]]);
  assert.equal(await page.$eval("#report-title", (h) => h.textContent), `greenport, van ${FROM} t/m ${LAST_DAY}`);
  await page.close();
  // Across a month's and a year's end, and without dates: the default period ends with today.
  asked = [];
  page = await openImpact("?lang=en&network=greenport&from=2029-12-01&to=2029-12-31", "", asked);
  assert.equal(asked[0].get("to"), "2030-01-01");
  await page.close();
  asked = [];
  const today = () => new Date().toISOString().slice(0, 10);
  const dayBefore = today();
  page = await openImpact("?lang=en&network=greenport", "", asked);
  const dayAfterOpening = today();
  const [from, to] = await page.$eval("#ask", (f) => [f.from.value, f.to.value]);
  const after = new Date(`${to}T00:00:00Z`);
  after.setUTCDate(after.getUTCDate() + 1);
  assert.deepEqual([asked[0].get("from"), asked[0].get("to")], [from, after.toISOString().slice(0, 10)]);
  assert.ok(to === dayBefore || to === dayAfterOpening, `${to} is not today`);
  await page.close();
});

test("without a token only a network that opted in; another network's coordinator is refused", async () => {
  let page = await openImpact(`?network=greenport&from=${FROM}&to=${TO}`);
  assert.equal(await page.$eval("#report", (r) => r.hidden), false);
  await page.close();
  page = await openImpact(`?network=techoost&from=${FROM}&to=${TO}`);
  assert.equal(await page.$eval("#report", (r) => r.hidden), true);
  assert.match(await page.$eval("#status", (s) => s.textContent), /coördinator|coordinator/);
  await page.close();
  const refused = await fetch(`${site.base}/impact/report.json?network=techoost&from=${FROM}&to=${TO}`, {
    headers: { Authorization: `Bearer ${outsider}` },
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get("cache-control"), "private, no-store");
  const ask = (query, authorization) =>
    fetch(`${site.base}/impact/report.json?${query}`, { headers: { Authorization: authorization } });
  assert.equal((await ask(`network=techoost&from=2030-13-01&to=${TO}`, `Bearer ${coordinator}`)).status, 400);
  // The bounds every gRPC request has (times from 2000), and no year-1 period reaching year 0.
  assert.equal((await ask("network=techoost&from=1990-01-01&to=1991-01-01", `Bearer ${coordinator}`)).status, 400);
  assert.equal((await ask("network=techoost&from=0001-01-01&to=0002-01-01", `Bearer ${coordinator}`)).status, 400);
  // Anonymous callers learn nothing of which networks exist: an unknown network is refused as one
  // that did not opt in, word for word; with a token an unknown network is 404.
  const anonymous = async (network) => {
    const answer = await fetch(`${site.base}/impact/report.json?network=${encodeURIComponent(network)}&from=${FROM}&to=${TO}`);
    return [answer.status, await answer.text()];
  };
  const [closedStatus, closedBody] = await anonymous("techoost");
  assert.equal(closedStatus, 401);
  assert.deepEqual(await anonymous("no-such-network"), [401, closedBody]);
  // An id no network could have is bad input, before any look-up.
  const [badStatus, badBody] = await anonymous("Café Ñ ’s-Hertogenbosch");
  assert.equal(badStatus, 400);
  assert.equal(JSON.parse(badBody)["invalid-params"][0].name, "network_id");
  assert.equal((await ask(`network=no-such-network&from=${FROM}&to=${TO}`, `Bearer ${ADMIN}`)).status, 404);
  // Days are Dutch days (midnight in Amsterdam), written as dates and nothing looser.
  const dutch = await (await ask(`network=techoost&from=${FROM}&to=${TO}`, `Bearer ${coordinator}`)).json();
  assert.equal(dutch.current.start_time, "2029-12-31T23:00:00Z");
  assert.equal((await ask(`network=techoost&from=2030-1-1&to=${TO}`, `Bearer ${coordinator}`)).status, 400);
  assert.equal((await ask(`network=techoost&from=+2030-01-01&to=${TO}`, `Bearer ${coordinator}`)).status, 400);
  // The public summary covers whole months (it cannot be narrowed to one booking's day) and
  // leaves out tariff revenue.
  const summary = await (await fetch(`${site.base}/impact/report.json?network=greenport&from=2030-01-07&to=2030-01-08`)).json();
  assert.equal(summary.current.start_time, "2029-12-31T23:00:00Z");
  assert.equal(summary.current.end_time, "2030-01-31T23:00:00Z");
  assert.ok(Number(dutch.current.shared_use.usage.tariff_revenue_cents) > 0);  // the same bookings
  assert.equal(Number(summary.current.shared_use.usage.tariff_revenue_cents ?? 0), 0);
  assert.ok(Number(summary.current.shared_use.bookings) > 0);
  // The scheme's name in any case; a token scoped to another service is refused here as over gRPC.
  assert.equal((await ask(`network=techoost&from=${FROM}&to=${TO}`, `bearer ${coordinator}`)).status, 200);
  assert.equal((await ask(`network=techoost&from=${FROM}&to=${TO}`, `Bearer ${deskOnly}`)).status, 403);
});

test("the language link keeps the question, and the form never puts the token in a URL", async () => {
  const page = await openImpact(`?lang=en&network=greenport&from=${FROM}&to=${TO}`);
  const href = await page.$eval("#language", (a) => a.href);
  const asked = new URL(href).searchParams;
  assert.deepEqual([asked.get("lang"), asked.get("network"), asked.get("from"), asked.get("to")], ["nl", "greenport", FROM, TO]);
  assert.equal(await page.$eval("#ask", (f) => f.method), "post");
  await page.close();
});
