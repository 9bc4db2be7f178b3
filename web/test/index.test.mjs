// The front page: both languages, each marked as such, linking the map, the impact page and every
// open-data feed, and every link answers.
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openBrowser, startServer } from "./harness.mjs";

let site;
let browser;

before(async () => {
  site = await startServer();
  browser = await openBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (site) site.stop();
});

test("/ links the pages and the open data in Dutch and in English, and every link answers", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.base}/`);
  assert.equal(await page.$eval("html", (h) => h.lang), "nl");
  const links = async (lang) => page.$$eval(`section[lang=${lang}] a`, (all) => all.map((a) => a.getAttribute("href")));
  const wanted = ["/open/resources.geojson", "/open/resources.jsonld", "/open/resources.csv", "/open/catalog.jsonld"];
  const nl = await links("nl");
  for (const href of ["/map", "/impact", ...wanted]) assert.ok(nl.includes(href), `nl lacks ${href}`);
  const en = await links("en");
  for (const href of ["/map?lang=en", "/impact?lang=en", ...wanted]) assert.ok(en.includes(href), `en lacks ${href}`);
  assert.match(await page.$eval("section[lang=en] h2", (h) => h.textContent), /^Shared infrastructure/);
  assert.match(await page.$eval("section[lang=nl] h2", (h) => h.textContent), /^Gedeelde infrastructuur/);
  for (const href of new Set(await page.$$eval("a", (all) => all.map((a) => a.href)))) {
    if (new URL(href).hash) continue;
    assert.equal((await fetch(href)).status, 200, href);
  }
  await page.close();
});
