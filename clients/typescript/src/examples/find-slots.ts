// Example: the earliest free four-hour slots in labs with a theme near a place, as a website of a
// network would show them. INFRASHARE_SERVER and INFRASHARE_TOKEN say where and who.
//   node dist/examples/find-slots.js manufacturing 52.22 6.89
import { Client, registry, scheduler } from "../index";

async function main(): Promise<void> {
  const [theme = "manufacturing", lat = "52.22", lon = "6.89"] = process.argv.slice(2);
  const client = new Client(process.env.INFRASHARE_SERVER ?? "127.0.0.1:50051", process.env.INFRASHARE_TOKEN ?? "");
  const now = new Date();
  const found = await client.call(client.scheduler, "findSlots", scheduler.FindSlotsRequest.fromPartial({
    search: {
      themes: [registry.themeFromJSON(`THEME_${theme.toUpperCase()}`)],
      within: { center: { latitude: Number(lat), longitude: Number(lon) }, radiusKm: 30 },
    },
    durationMinutes: 240,
    startTime: now,
    endTime: new Date(now.getTime() + 14 * 24 * 3600 * 1000),
    maxResults: 5,
  }));
  for (const slot of found.slots) {
    console.log(`${slot.startTime?.toISOString()}  ${slot.displayName} (${slot.distanceKm.toFixed(1)} km)`);
  }
  const places = new Set(found.slots.map((slot) => slot.resourceId)).size;
  console.log(`${found.slots.length} slots in ${places} of the ${found.resourcesConsidered} resources searched`);
  client.close();
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
