"""Receiving infrashare's webhooks: check a delivery's Standard Webhooks signature, read its body.

    from infrashare import verify_webhook
    payload = verify_webhook(secret, request.headers, request.body)  # ValueError: not genuine

``secret`` is the subscription's ``whsec_...`` secret, shown once when it was made or rotated.
"""

import base64
import hashlib
import hmac
import time

from google.protobuf import json_format

from infrashare.webhook.v1 import webhook_pb2


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise ValueError(f"no {name} header")


def verify_webhook(secret, headers, body, tolerance_s=300, now=None):
    """The delivery's WebhookPayload when one of its signatures is ``secret``'s; ValueError if not.

    ``headers``: any mapping (names in any case); ``body``: the raw bytes (or text) as received,
    before any JSON parsing. A timestamp more than ``tolerance_s`` from ``now`` (default: this
    machine's clock) is refused, so a recorded delivery cannot be replayed later. Deliveries come
    at least once: de-duplicate by the ``webhook-id`` header.
    """
    if isinstance(body, str):
        body = body.encode()
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not secret.startswith("whsec_"):
        raise ValueError("not a webhook secret (whsec_...)")
    # Digits only, and few: int() of 400 digits minus a float would raise OverflowError, which a
    # receiver catching ValueError would answer with a 500.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise ValueError("webhook-timestamp is not a time in seconds")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        raise ValueError("webhook-timestamp too far from now")
    key = base64.b64decode(secret[len("whsec_") :])
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for signature in signatures.split(" "):
        version, _, value = signature.partition(",")
        # As bytes: compare_digest refuses str with non-ASCII characters (TypeError).
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            try:
                return json_format.Parse(
                    body, webhook_pb2.WebhookPayload(), ignore_unknown_fields=True
                )
            except json_format.ParseError as error:
                raise ValueError(f"the body is not a webhook payload: {error}") from error
    raise ValueError("no valid webhook-signature")
