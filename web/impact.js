// The impact page: the ImpactReport of a network and period beside the period before, as a table
// (the accessible source of truth) and two charts drawn by Chart.js.
import { WORDS, PROVINCES, language } from "/i18n.js";

const lang = language();
const t = WORDS[lang];
const locale = lang === "nl" ? "nl-NL" : "en-GB";
const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
const euros = new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" });
const charts = [];

// proto3 JSON writes int64 as strings and durations as "<seconds>s".
const num = (v) => (v === undefined || v === null || v === "" ? 0 : Number(v));
const hours = (d) => num(String(d || "0s").replace(/s$/, "")) / 3600;

// Each measure: its key, how to read it from a period, and how to show it.
const MEASURES = [
  ["bookings", (p) => num(p.shared_use.bookings), number],
  ["booked_hours", (p) => num(p.shared_use.usage.booked_hours), number],
  ["utilisation", (p) => num(p.shared_use.usage.utilisation), percent],
  ["tariff_revenue", (p) => num(p.shared_use.usage.tariff_revenue_cents) / 100, euros],
  ["in_kind_hours", (p) => num(p.shared_use.usage.in_kind_hours), number],
  ["sme_hours_share", (p) => num(p.shared_use.sme_hours_share), percent],
  ["organizations", (p) => num(p.reach?.organizations), number],
  ["smes", (p) => num(p.reach?.smes), number],
  ["sme_share", (p) => num(p.reach?.sme_share), percent],
  ["through_bookings", (p) => num(p.reach?.through_bookings), number],
  ["through_events", (p) => num(p.reach?.through_events), number],
  ["through_desk", (p) => num(p.reach?.through_desk), number],
  ["inquiries", (p) => num(p.desk?.inquiries), number],
  ["accepted", (p) => num(p.desk?.accepted), number],
  ["within_deadline", (p) => num(p.desk?.accepted_within_deadline_share), percent],
  ["first_accept_p50", (p) => hours(p.desk?.first_accept_p50), { format: (h) => `${number.format(h)} h` }],
  ["referrals", (p) => num(p.desk?.referrals_per_inquiry), number],
  ["feedback", (p) => num(p.desk?.feedback_responses), number],
  ["average_score", (p) => num(p.desk?.average_score), number],
  ["would_recommend", (p) => num(p.desk?.would_recommend_share), percent],
  ["would_work_again", (p) => num(p.desk?.would_work_again_share), percent],
  ["events", (p) => num(p.programme?.events), number],
  ["registrations", (p) => num(p.programme?.registrations), number],
  ["attendance_rate", (p) => num(p.programme?.attendance_rate), percent],
  ["unit_days", (p) => num(p.rotations?.unit_days), number],
];

function cell(tag, content, attributes = {}) {
  const node = document.createElement(tag);
  node.textContent = content;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function chart(id, labels, current, previous, label) {
  const canvas = document.getElementById(id);
  canvas.setAttribute("aria-label", label);
  if (!window.Chart) return;  // the table carries every number
  charts.push(new window.Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: t.current, data: current, backgroundColor: "#0645ad" },
        { label: t.previous, data: previous, backgroundColor: "#9db3d9" },
      ],
    },
    options: { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } },
  }));
}

function render(report, from, to) {
  const body = document.querySelector("#measures tbody");
  body.replaceChildren();
  const row = (key, label, current, previous) => {
    const tr = document.createElement("tr");
    tr.dataset.measure = key;
    tr.append(cell("th", label, { scope: "row" }), cell("td", current), cell("td", previous));
    body.append(tr);
  };
  row("active_resources", t.m.active_resources, number.format(num(report.resources.active_resources)), "");
  for (const [key, read, format] of MEASURES)
    row(key, t.m[key], format.format(read(report.current)), format.format(read(report.previous)));
  document.getElementById("report-title").textContent = t.reportFor(report.network_id, from, to);

  // The registry's white spots (a province and theme without an active facility), by province.
  const spots = (report.resources.coverage && report.resources.coverage.white_spots) || [];
  const themesMissing = {};
  for (const s of spots.filter((s) => PROVINCES[s.region_code]))
    themesMissing[s.region_code] = (themesMissing[s.region_code] || 0) + 1;
  const listed = Object.entries(themesMissing)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${PROVINCES[code] || code} (${t.themesMissing(n)})`);
  document.getElementById("white-spots").textContent = listed.length ? listed.join(", ") : t.none;

  for (const c of charts.splice(0)) c.destroy();
  const use = ["bookings", "booked_hours", "organizations", "smes", "inquiries"];
  const pick = (keys, period, scale = 1) =>
    keys.map((k) => MEASURES.find((m) => m[0] === k)[1](period) * scale);
  chart("use-chart", use.map((k) => t.m[k]), pick(use, report.current), pick(use, report.previous), t.useChart);
  const shares = ["sme_share", "within_deadline", "would_recommend", "would_work_again"];
  chart("desk-chart", shares.map((k) => t.m[k]), pick(shares, report.current, 100), pick(shares, report.previous, 100), t.deskChart);
  document.getElementById("report").hidden = false;
}

// The form's "to" is the last day people want counted; the report's period is half-open.
function dayAfter(day) {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

async function ask(form) {
  const status = document.getElementById("status");
  status.textContent = t.loading;
  const token = form.token.value.trim();
  if (token) sessionStorage.setItem("infrashare-token", token);
  const query = new URLSearchParams({ network: form.network.value.trim(), from: form.from.value, to: dayAfter(form.to.value) });
  const answer = await fetch(`/impact/report.json?${query}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    status.textContent = answer.status === 401 || answer.status === 403 ? t.refused : problem.detail || problem.title || String(answer.status);
    document.getElementById("report").hidden = true;
    return;
  }
  render(await answer.json(), form.from.value, form.to.value);
  status.textContent = "";
}

function main() {
  document.documentElement.lang = lang;
  document.getElementById("title").textContent = t.impactTitle;
  document.getElementById("intro").textContent = t.impactIntro;
  for (const node of document.querySelectorAll("[data-word]")) node.textContent = t[node.dataset.word];
  const other = document.getElementById("language");
  other.textContent = t.language;
  // The other language keeps the question asked.
  const switched = new URLSearchParams(location.search);
  switched.set("lang", lang === "nl" ? "en" : "nl");
  other.href = `?${switched}`;
  const form = document.getElementById("ask");
  const params = new URLSearchParams(location.search);
  const today = new Date();
  const yearAgo = new Date(today.getTime() - 365 * 24 * 3600 * 1000);
  form.network.value = params.get("network") || "";
  form.from.value = params.get("from") || yearAgo.toISOString().slice(0, 10);
  form.to.value = params.get("to") || today.toISOString().slice(0, 10);
  form.token.value = sessionStorage.getItem("infrashare-token") || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await ask(form);
    document.body.dataset.ready = "true";
  });
  if (params.get("network") !== null) form.requestSubmit();
  else document.body.dataset.ready = "true";
}

main();
