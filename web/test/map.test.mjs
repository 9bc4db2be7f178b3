// The map page in a real browser against a real server: the markers are the listed resources and
// only those, a filter changes them, the list and a resource's card show what the feed says, the
// page works by keyboard and in English, and nothing private reaches the page.
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { maybeScreenshot, openBrowser, programme, registry, startServer } from "./harness.mjs";

const SECRET = "GEHEIM-7f3a";
const OPEN_DAY = "Open dag digitale tweeling — Zwolle";
let site;
let browser;

const place = (lat, lon, city, province) => ({
  point: { latitude: lat, longitude: lon },
  address: { city, country: "NL" },
  region: { province },
});

export const WORLD = [
  {
    resourceId: "perron038-twin",
    resource: {
      displayName: "Perron038 digital twin",
      description: "Digitale tweeling van het spoorknooppunt Zwolle.",
      kind: registry.ResourceKind.RESOURCE_KIND_CAMPUS,
      themes: [registry.Theme.THEME_DIGITALISATION],
      location: place(52.5055, 6.0913, "Zwolle", "PV23"),
      smeAccessible: true,
      terms: { kind: registry.TermsKind.TERMS_KIND_TARIFF, tariffPerHourCents: 4550, notes: "mkb-korting" },
      staff: [{ role: registry.StaffRole.STAFF_ROLE_FACILITY_MANAGER, name: `Jan ${SECRET}`, email: "jan@perron038.example" }],
      publication: { listed: true, showTerms: true, showContactRoles: true },
    },
  },
  {
    resourceId: "dif-zoetermeer",
    resource: {
      displayName: "Dutch Innovation Factory",
      kind: registry.ResourceKind.RESOURCE_KIND_HUB,
      themes: [registry.Theme.THEME_MANUFACTURING],
      location: place(52.0463, 4.4927, "Zoetermeer", "PV28"),
      terms: { kind: registry.TermsKind.TERMS_KIND_FREE },
      publication: { listed: true, showTerms: true },
    },
  },
  {
    resourceId: "world-horti-center",
    resource: {
      displayName: "World Horti Center — kas ‘s-Gravenzande",
      kind: registry.ResourceKind.RESOURCE_KIND_LIVING_LAB,
      themes: [registry.Theme.THEME_AGRI_HORTICULTURE],
      location: place(51.9936, 4.2081, "Naaldwijk", "PV28"),
      smeAccessible: true,
      terms: { kind: registry.TermsKind.TERMS_KIND_TARIFF, tariffPerDayCents: 50000, notes: `tarief ${SECRET}` },
      publication: { listed: true },
    },
  },
  {
    resourceId: "private-lab",
    resource: {
      displayName: `Besloten lab ${SECRET}`,
      kind: registry.ResourceKind.RESOURCE_KIND_LAB,
      themes: [registry.Theme.THEME_DIGITALISATION],
      location: place(52.51, 6.09, "Zwolle", "PV23"),
    },
  },
];

export async function seed(c) {
  await c.call(c.registry, "createOrganization", registry.CreateOrganizationRequest.fromPartial({
    organizationId: "techoost-partner",
    organization: { displayName: "TechOost Partner B.V.", kind: registry.OrganizationKind.ORGANIZATION_KIND_COMPANY, sme: true },
  }));
  await c.call(c.registry, "createNetwork", registry.CreateNetworkRequest.fromPartial({
    networkId: "techoost",
    network: { displayName: "TechOost", memberOrganizationIds: ["techoost-partner"] },
  }));
  for (const r of WORLD) {
    await c.call(c.registry, "createResource", registry.CreateResourceRequest.fromPartial({
      resourceId: r.resourceId,
      resource: { ...r.resource, ownerOrganizationId: "techoost-partner", sharedWithNetworkIds: ["techoost"] },
    }));
  }
  // A public open day at the digital twin, and a partners-only event there that the map must not
  // show; a public event at the private lab, which has no public card at all.
  const next = new Date(Date.now() + 14 * 24 * 3600 * 1000);
  next.setUTCHours(9, 0, 0, 0);
  const end = new Date(next.getTime() + 3 * 3600 * 1000);
  const event = (resourceId, title, visibility, offset) => c.call(c.programme, "createEvent", programme.CreateEventRequest.fromPartial({
    requestId: `web-${resourceId}-${offset}-${visibility}`,
    event: {
      resourceId,
      kind: programme.EventKind.EVENT_KIND_OPEN_DAY,
      title,
      startTime: new Date(next.getTime() + offset),
      endTime: new Date(end.getTime() + offset),
      capacity: 40,
      registrationOpen: true,
      visibility,
      audiences: [programme.Audience.AUDIENCE_SMES],
    },
  }));
  await event("perron038-twin", OPEN_DAY, programme.EventVisibility.EVENT_VISIBILITY_PUBLIC, 0);
  await event("perron038-twin", `Partneroverleg ${SECRET}`, programme.EventVisibility.EVENT_VISIBILITY_NETWORK, 24 * 3600 * 1000);
  await event("private-lab", `Open dag ${SECRET}`, programme.EventVisibility.EVENT_VISIBILITY_PUBLIC, 0);
}

before(async () => {
  site = await startServer();
  const c = site.admin();
  await seed(c);
  c.close();
  browser = await openBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) site.stop();
});

async function openMap(query = "?lang=nl") {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1000 });
  await page.setCacheEnabled(false);  // the feeds may be cached for a while; a test changes them
  await page.goto(`${site.base}/map${query}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  return page;
}

const listed = WORLD.filter((r) => r.resource.publication && r.resource.publication.listed);

test("the map shows a marker and a list entry for each listed resource, nothing private", async () => {
  const page = await openMap();
  const markers = await page.$$eval(".leaflet-marker-icon", (icons) => icons.map((i) => i.getAttribute("title")).sort());
  assert.deepEqual(markers, listed.map((r) => r.resource.displayName).sort());
  const entries = await page.$$eval("#list li", (items) => items.map((i) => i.dataset.id).sort());
  assert.deepEqual(entries, listed.map((r) => r.resourceId).sort());
  assert.equal(await page.$eval("#count", (n) => n.textContent), `${listed.length} van ${listed.length} voorzieningen`);
  const html = await page.content();
  assert.ok(!html.includes(SECRET), "a private string reached the page");
  // The same as the feed says.
  const feed = await (await fetch(`${site.base}/open/resources.geojson`)).json();
  assert.equal(feed.features.length, markers.length);
  await maybeScreenshot(page, "map.png");
  await page.close();
});

test("a filter changes the markers and the list", async () => {
  const page = await openMap();
  await page.select("select[name=province]", "PV28");
  const inZuidHolland = listed.filter((r) => r.resource.location.region.province === "PV28");
  let markers = await page.$$eval(".leaflet-marker-icon", (icons) => icons.length);
  assert.equal(markers, inZuidHolland.length);
  await page.click("input[name=sme]");
  const smeInZuidHolland = inZuidHolland.filter((r) => r.resource.smeAccessible);
  markers = await page.$$eval(".leaflet-marker-icon", (icons) => icons.length);
  assert.equal(markers, smeInZuidHolland.length);
  const entries = await page.$$eval("#list li", (items) => items.map((i) => i.dataset.id));
  assert.deepEqual(entries, smeInZuidHolland.map((r) => r.resourceId));
  await page.select("select[name=province]", "");
  await page.click("input[name=sme]");
  await page.select("select[name=terms]", "free");
  assert.deepEqual(await page.$$eval("#list li", (items) => items.map((i) => i.dataset.id)), ["dif-zoetermeer"]);
  await page.close();
});

test("a resource's card shows its terms, contact role and programme, by keyboard, in English too", async () => {
  const page = await openMap("?lang=en");
  assert.equal(await page.$eval("h1", (n) => n.textContent), "Infrastructure map");
  // Keyboard only: focus the first entry of the list and press Enter.
  await page.focus("#list li[data-id='perron038-twin'] button");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#card:not([hidden])");
  const card = await page.$eval("#card", (n) => n.innerText);
  assert.match(card, /Perron038 digital twin/);
  assert.match(card, /€45\.50 per hour/);
  assert.match(card, /Facility manager/);
  assert.match(card, new RegExp(OPEN_DAY));
  assert.ok(!card.includes(SECRET), "a partners-only event or private text reached the card");
  assert.ok(!card.includes("Jan"), "a staff member's name reached the card");
  assert.equal(await page.evaluate(() => document.activeElement.id), "card");
  await maybeScreenshot(page, "map-card.png");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");  // the close button
  assert.equal(await page.$eval("#card", (n) => n.hidden), true);
  await page.close();
});

test("a link to a resource's card opens it, as booking calendars link to it", async () => {
  const page = await openMap("?lang=en#resource=dif-zoetermeer");
  await page.waitForSelector("#card:not([hidden])");
  assert.match(await page.$eval("#card", (n) => n.innerText), /Dutch Innovation Factory/);
  // Another link on the same page opens that card instead; an unknown id opens none.
  await page.evaluate(() => { location.hash = "resource=perron038-twin"; });
  await page.waitForFunction(() => document.querySelector("#card h2").textContent === "Perron038 digital twin");
  await page.keyboard.press("Escape");
  // (the listener runs within dispatchEvent: nothing left to wait for when it returns)
  await page.evaluate(() => {
    history.replaceState(null, "", "#resource=private-lab");
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  });
  assert.equal(await page.$eval("#card", (n) => n.hidden), true);
  await page.close();
});

test("the feeds carry the public programme: GeoJSON, JSON-LD Event and an iCalendar that opens", async () => {
  const feed = await (await fetch(`${site.base}/open/resources.geojson`)).json();
  const twin = feed.features.find((f) => f.id === "perron038-twin");
  assert.deepEqual(twin.properties.upcoming_events.map((e) => e.title), [OPEN_DAY]);
  const ld = await (await fetch(`${site.base}/open/resources.jsonld`)).json();
  const place = ld["@graph"].find((p) => p.identifier === "perron038-twin");
  assert.equal(place.event[0]["@type"], "Event");
  assert.equal(place.event[0].name, OPEN_DAY);
  const ics = await fetch(`${site.base}/open/programme.ics?resource=perron038-twin`);
  assert.equal(ics.status, 200);
  const text = await ics.text();
  assert.match(text, /BEGIN:VCALENDAR/);
  assert.ok(text.includes("SUMMARY:Open dag digitale tweeling"), text);
  assert.ok(!text.includes(SECRET));
  // Where it is: the resource's name and place (a comma escaped), not its id; and the zone's
  // observances from the event on, not its history since 1835.
  assert.ok(text.includes("LOCATION:Perron038 digital twin\\, Zwolle\r\n"), text);
  assert.ok(text.includes("BEGIN:VTIMEZONE"), text);
  const onsets = [...text.matchAll(/^(?:DTSTART|RDATE)[^:]*:(\d{4})/gm)].map((m) => Number(m[1]));
  assert.ok(onsets.length > 0 && onsets.every((year) => year >= 2000), text);
  // A resource its owner did not list has no public calendar, not even a refusal naming it.
  assert.equal((await fetch(`${site.base}/open/programme.ics?resource=private-lab`)).status, 404);
  // The network's calendar has the open day, not the public event at the unlisted lab.
  const network = await (await fetch(`${site.base}/open/programme.ics?network=techoost`)).text();
  assert.ok(network.includes("SUMMARY:Open dag digitale tweeling"), network);
  for (const path of ["/open/resources.geojson", "/open/resources.jsonld", "/open/resources.csv", "/open/programme.ics?network=techoost"])
    assert.ok(!(await (await fetch(site.base + path)).text()).includes(SECRET), path);
});

test("the listener serves the pages and feeds only, and refuses filters it does not know", async () => {
  for (const path of ["/package.json", "/node_modules/puppeteer-core/package.json", "/test/map.test.mjs", "/nope"]) {
    const answer = await fetch(site.base + path);
    assert.equal(answer.status, 404, path);
    assert.equal((await answer.json()).status, 404, path);
  }
  for (const query of ["province=XX", "kind=lab&kind=hub", "network=nope", "dialect=foo"]) {
    const answer = await fetch(`${site.base}/open/resources.csv?${query}`);
    assert.equal(answer.status, 400, query);
  }
  assert.equal((await fetch(`${site.base}/map.js`)).status, 200);
  assert.equal((await fetch(`${site.base}/vendor/leaflet/leaflet.js`)).status, 200);
});

test("Escape closes the card, and a filter that leaves its resource out closes it too", async () => {
  const page = await openMap("?lang=en");
  assert.equal(await page.$eval(".skip", (n) => n.textContent), "To the list");
  await page.click("#list li[data-id='dif-zoetermeer'] button");
  await page.waitForSelector("#card:not([hidden])");
  await page.keyboard.press("Escape");
  assert.equal(await page.$eval("#card", (n) => n.hidden), true);
  await page.click("#list li[data-id='dif-zoetermeer'] button");
  await page.select("select[name=province]", "PV23");
  assert.equal(await page.$eval("#card", (n) => n.hidden), true);
  await page.close();
});

test("resources at one place share a marker whose card lists each of them, by keyboard", async () => {
  // Two more at the World Horti Center's coordinates, as the demo data has several per campus.
  const c = site.admin();
  const here = WORLD.find((r) => r.resourceId === "world-horti-center").resource.location;
  const together = [
    ["kaslab-naaldwijk", "Kaslab Naaldwijk — Café Ñ", registry.ResourceKind.RESOURCE_KIND_LAB],
    ["klimaatcel-naaldwijk", "Klimaatcel ’s-Hertogenbosch-opstelling", registry.ResourceKind.RESOURCE_KIND_EQUIPMENT],
  ];
  for (const [resourceId, displayName, kind] of together)
    await c.call(c.registry, "createResource", registry.CreateResourceRequest.fromPartial({
      resourceId,
      resource: {
        displayName, kind, themes: [registry.Theme.THEME_AGRI_HORTICULTURE], location: here,
        ownerOrganizationId: "techoost-partner", sharedWithNetworkIds: ["techoost"],
        publication: { listed: true },
      },
    }));
  c.close();
  // The feed's read model follows the registry's changes: wait (bounded) until it has them.
  for (let i = 0; i < 100; i++) {
    const ids = (await (await fetch(`${site.base}/open/resources.geojson`)).json()).features.map((f) => f.id);
    if (together.every(([id]) => ids.includes(id))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = await openMap("?lang=en");
  const names = ["World Horti Center — kas ‘s-Gravenzande", ...together.map((r) => r[1])];
  // One marker per place: the list has every resource, the map one marker for the three.
  assert.equal(await page.$$eval("#list li", (items) => items.length), listed.length + together.length);
  const titles = await page.$$eval(".leaflet-marker-icon", (icons) => icons.map((i) => i.getAttribute("title")));
  assert.equal(titles.length, listed.length);
  const shared = titles.filter((title) => names.every((n) => title.includes(n)));
  assert.equal(shared.length, 1, titles.join(" | "));
  assert.match(shared[0], /^3 facilities here \(Naaldwijk, Zuid-Holland\)/);
  assert.equal(await page.$$eval(".leaflet-marker-icon[data-count='3']", (icons) => icons.length), 1);
  // Keyboard: Enter on the marker lists the three; each opens its own card.
  await page.focus(".leaflet-marker-icon[data-count='3']");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#card:not([hidden]) ul.here");
  assert.deepEqual(await page.$$eval("#card ul.here li button", (b) => b.map((n) => n.textContent).sort()), [...names].sort());
  assert.equal(await page.evaluate(() => document.activeElement.id), "card");
  await page.focus("#card li[data-id='klimaatcel-naaldwijk'] button");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#card:not([hidden]) dl");
  assert.equal(await page.$eval("#card h2", (h) => h.textContent), "Klimaatcel ’s-Hertogenbosch-opstelling");
  // Escape returns to the place's marker.
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.count), "3");
  // In Dutch too; a filter leaving one of them out makes the marker that of the other two.
  const nl = await openMap("?lang=nl");
  await nl.select("select[name=kind]", "equipment");
  assert.deepEqual(await nl.$$eval(".leaflet-marker-icon", (i) => i.map((n) => n.getAttribute("title"))), [together[1][1]]);
  await nl.select("select[name=kind]", "");
  assert.match(await nl.$eval(".leaflet-marker-icon[data-count='3']", (i) => i.getAttribute("title")), /^3 voorzieningen hier \(Naaldwijk, Zuid-Holland\): /);
  await page.close();
  await nl.close();
});
