// verifyWebhook as a receiver uses it: the Standard Webhooks example, and what it refuses.
import * as assert from "node:assert/strict";
import { test } from "node:test";

import { verifyWebhook } from "../index";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const HEADERS = {
  "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
  "webhook-timestamp": "1614265330",
  "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const BODY = '{"test": 2432232314}';

test("the Standard Webhooks example verifies, also among other signatures", () => {
  verifyWebhook(SECRET, HEADERS, BODY, 300, 1614265330);
  verifyWebhook(SECRET, { ...HEADERS, "webhook-signature": "v1,bm9wZQ== " + HEADERS["webhook-signature"] }, BODY, 300, 1614265330);
});

test("a changed or old delivery is refused", () => {
  assert.throws(() => verifyWebhook(SECRET, { ...HEADERS, "webhook-id": "msg_other" }, BODY, 300, 1614265330));
  assert.throws(() => verifyWebhook(SECRET, HEADERS, '{"test": 1}', 300, 1614265330));
  assert.throws(() => verifyWebhook(SECRET, HEADERS, BODY, 300, 1614265330 + 301), /timestamp/);
});

test("a timestamp that is not a number of seconds is refused", () => {
  for (const timestamp of ["abc", "", "1e9", "9".repeat(400)])
    assert.throws(() => verifyWebhook(SECRET, { ...HEADERS, "webhook-timestamp": timestamp }, BODY, 300, 1614265330), /timestamp/);
});
