// The infrastructure map: the open GeoJSON feed on a Leaflet map, with filters, a list for people
// who would rather read, and a card per resource with its terms, contact roles and programme
// (/map#resource=<id> opens one).
import { WORDS, PROVINCES, language, nameOf } from "/i18n.js";

const lang = language();
const t = WORDS[lang];
const L = window.L;

function text(tag, content, attributes = {}) {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = content;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function termsOf(p) {
  if (!p.terms) return "";
  const words = [t[p.terms.kind] || p.terms.kind];
  const money = new Intl.NumberFormat(lang === "nl" ? "nl-NL" : "en-GB", { style: "currency", currency: "EUR" });
  if (p.terms.tariff_per_hour_eur) words.push(`${money.format(p.terms.tariff_per_hour_eur)} ${t.perHour}`);
  if (p.terms.tariff_per_day_eur) words.push(`${money.format(p.terms.tariff_per_day_eur)} ${t.perDay}`);
  return words.join(" · ");
}

function placeOf(p) {
  const city = p.address && p.address.city;
  const province = PROVINCES[p.province] || p.province || "";
  return [city, province].filter(Boolean).join(", ");
}

function when(event) {
  const format = new Intl.DateTimeFormat(lang === "nl" ? "nl-NL" : "en-GB", {
    dateStyle: "medium", timeStyle: "short", timeZone: event.time_zone || "Europe/Amsterdam",
  });
  return format.format(new Date(event.start));
}

function options(select, values, label) {
  select.replaceChildren(text("option", t.all, { value: "" }));
  for (const value of values) select.append(text("option", label(value), { value }));
}

async function main() {
  document.documentElement.lang = lang;
  document.title = `${t.mapTitle} · infrashare`;
  document.getElementById("title").textContent = t.mapTitle;
  document.querySelector(".skip").textContent = t.skip;
  document.getElementById("intro").textContent = t.mapIntro;
  document.getElementById("filters-title").textContent = t.filters;
  document.getElementById("list-title").textContent = t.listTitle;
  document.getElementById("map").setAttribute("aria-label", t.map);
  for (const span of document.querySelectorAll("[data-word]")) span.textContent = t[span.dataset.word];
  const other = document.getElementById("language");
  other.textContent = t.language;
  other.href = `?lang=${lang === "nl" ? "en" : "nl"}`;
  other.hreflang = lang === "nl" ? "en" : "nl";

  let config = {};
  let features = [];
  try {
    const [settings, feed] = await Promise.all([fetch("/map/config.json"), fetch("/open/resources.geojson")]);
    if (settings.ok) config = await settings.json();
    features = (await feed.json()).features.filter((f) => f.geometry);
  } catch (error) {
    const notice = document.getElementById("notice");
    notice.textContent = t.loadFailed;
    notice.hidden = false;
    return;
  }

  const map = L.map("map", { keyboard: true }).setView(config.center || [52.2, 5.3], config.zoom || 7);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.attribution || "", maxZoom: 18 }).addTo(map);
  } else {
    const notice = document.getElementById("notice");
    notice.textContent = t.noTiles;
    notice.hidden = false;
  }
  const markers = L.layerGroup().addTo(map);

  const form = document.getElementById("filters");
  const values = (pick) => [...new Set(features.flatMap((f) => pick(f.properties)).filter(Boolean))].sort();
  options(form.theme, values((p) => p.themes || []), (v) => nameOf(lang, v));
  options(form.kind, values((p) => [p.kind]), (v) => nameOf(lang, v));
  options(form.province, values((p) => [p.province]), (v) => PROVINCES[v] || v);
  options(form.terms, values((p) => [p.terms && p.terms.kind]), (v) => t[v] || v);

  const card = document.getElementById("card");
  let shownIds = [];
  let returnTo = null;
  function hide() {
    card.hidden = true;
    shownIds = [];
    if (returnTo && document.contains(returnTo)) returnTo.focus();
  }
  card.addEventListener("keydown", (e) => {
    if (e.key === "Escape") hide();
  });
  function show(feature, from) {
    shownIds = [feature.properties.id];
    returnTo = from;
    const p = feature.properties;
    card.replaceChildren();
    card.append(text("h2", p.name));
    const facts = text("dl");
    const fact = (label, value) => {
      if (!value) return;
      facts.append(text("dt", label), text("dd", value));
    };
    fact(t.kind, nameOf(lang, p.kind));
    fact(t.theme, (p.themes || []).map((v) => nameOf(lang, v)).join(", "));
    fact(t.province, placeOf(p));
    fact(t.owner, p.owner_organization);
    fact(t.terms, termsOf(p));
    fact(t.sme, p.sme_accessible ? "✓" : "");
    fact(t.contact, (p.contact_roles || []).map((v) => nameOf(lang, v)).join(", "));
    card.append(facts);
    if (p.description) card.append(text("p", p.description));
    card.append(text("h3", t.programme));
    const events = p.upcoming_events || [];
    if (events.length === 0) card.append(text("p", t.noEvents));
    const list = text("ul", undefined, { class: "events" });
    for (const event of events) list.append(text("li", `${when(event)} — ${event.title}`));
    if (events.length) card.append(list);
    const close = text("button", t.close, { type: "button" });
    close.addEventListener("click", hide);
    card.append(close);
    card.hidden = false;
    card.focus();
  }

  // Resources at one place share one marker (one on top of another could not be reached); its
  // card lists them, and each opens its own card, returning to the place's marker on close.
  function showPlace(place, from) {
    shownIds = place.map((f) => f.properties.id);
    returnTo = from;
    card.replaceChildren(text("h2", t.here(place.length, placeOf(place[0].properties))));
    const list = text("ul", undefined, { class: "here" });
    for (const feature of place) {
      const p = feature.properties;
      const item = text("li", undefined, { "data-id": p.id });
      const button = text("button", p.name, { type: "button" });
      button.addEventListener("click", () => show(feature, from));
      item.append(button, text("span", ` ${nameOf(lang, p.kind)}${p.terms ? " · " + termsOf(p) : ""}`));
      list.append(item);
    }
    const close = text("button", t.close, { type: "button" });
    close.addEventListener("click", hide);
    card.append(list, close);
    card.hidden = false;
    card.focus();
  }

  function matches(p) {
    const f = form.elements;
    return (!f.theme.value || (p.themes || []).includes(f.theme.value)) &&
      (!f.kind.value || p.kind === f.kind.value) &&
      (!f.province.value || p.province === f.province.value) &&
      (!f.terms.value || (p.terms && p.terms.kind === f.terms.value)) &&
      (!f.sme.checked || p.sme_accessible);
  }

  const list = document.getElementById("list");
  function render() {
    markers.clearLayers();
    list.replaceChildren();
    const shown = features.filter((f) => matches(f.properties));
    const places = new Map();
    for (const feature of shown) {
      const key = feature.geometry.coordinates.join(",");
      if (!places.has(key)) places.set(key, []);
      places.get(key).push(feature);
    }
    for (const place of places.values()) {
      const [lon, lat] = place[0].geometry.coordinates;
      const title = place.length === 1 ? place[0].properties.name
        : `${t.here(place.length, placeOf(place[0].properties))}: ${place.map((f) => f.properties.name).join("; ")}`;
      const marker = L.marker([lat, lon], { title, alt: title, keyboard: true });
      const open = () => place.length === 1 ? show(place[0], marker.getElement()) : showPlace(place, marker.getElement());
      marker.on("click", open);
      marker.on("keypress", (e) => {
        if (e.originalEvent.key === "Enter") open();
      });
      marker.addTo(markers);
      if (place.length > 1) marker.getElement().dataset.count = String(place.length);
    }
    for (const feature of shown) {
      const p = feature.properties;
      const item = text("li", undefined, { "data-id": p.id });
      const button = text("button", p.name, { type: "button" });
      button.addEventListener("click", () => show(feature, button));
      item.append(button, text("span", ` ${nameOf(lang, p.kind)} · ${placeOf(p)}${p.terms ? " · " + termsOf(p) : ""}`));
      list.append(item);
    }
    document.getElementById("count").textContent = t.showing(shown.length, features.length);
    // A card of a resource the filters now leave out goes too.
    if (shownIds.some((id) => !shown.some((f) => f.properties.id === id))) {
      card.hidden = true;
      shownIds = [];
    }
  }
  form.addEventListener("change", render);
  render();

  // A link to one resource's card, /map#resource=<id> (what booking calendars link to): the card
  // opens, on the map centred on the resource.
  function openLinked() {
    const id = new URLSearchParams(location.hash.slice(1)).get("resource");
    const feature = id && features.find((f) => f.properties.id === id);
    if (!feature) return;
    const [lon, lat] = feature.geometry.coordinates;
    map.setView([lat, lon], Math.max(map.getZoom(), 12));
    show(feature, list.querySelector(`li[data-id="${CSS.escape(id)}"] button`));
  }
  window.addEventListener("hashchange", openLinked);
  openLinked();
  document.body.dataset.ready = "true";  // for the browser tests
}

main();
