// Receiving infrashare's webhooks: check a delivery's Standard Webhooks signature, read its body.
//
//   import { verifyWebhook } from "@infrashare/client";
//   const payload = verifyWebhook(secret, request.headers, rawBody); // throws unless genuine
//
// `secret` is the subscription's "whsec_..." secret, shown once when it was made or rotated.
import { createHmac, timingSafeEqual } from "node:crypto";

import { WebhookPayload } from "./gen/infrashare/webhook/v1/webhook";

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string {
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name && value !== undefined) return Array.isArray(value) ? value[0] : value;
  throw new Error(`no ${name} header`);
}

// The delivery's payload when one of its signatures is `secret`'s; throws if not. `body` is the raw
// body as received, before any JSON parsing. A timestamp more than `toleranceS` from `nowS` is
// refused, so a recorded delivery cannot be replayed later. Deliveries come at least once:
// de-duplicate by the webhook-id header.
export function verifyWebhook(
  secret: string,
  headers: Headers,
  body: string | Buffer,
  toleranceS = 300,
  nowS = Date.now() / 1000,
): WebhookPayload {
  const raw = typeof body === "string" ? Buffer.from(body) : body;
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!secret.startsWith("whsec_")) throw new Error("not a webhook secret (whsec_...)");
  // Digits only: Number("abc") is NaN, and NaN is never "too far" from now.
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw new Error("webhook-timestamp is not a time in seconds");
  if (Math.abs(nowS - Number(timestamp)) > toleranceS) throw new Error("webhook-timestamp too far from now");
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key)
    .update(`${id}.${timestamp}.`)
    .update(raw)
    .digest();
  for (const signature of signatures.split(" ")) {
    const [version, value] = signature.split(",", 2);
    const given = Buffer.from(value ?? "", "base64");
    if (version === "v1" && given.length === expected.length && timingSafeEqual(given, expected))
      return WebhookPayload.fromJSON(JSON.parse(raw.toString("utf8")));
  }
  throw new Error("no valid webhook-signature");
}
