"""verify_webhook, as a receiver uses it: the Standard Webhooks example, a rotation's two
signatures, and what it refuses."""

import pytest

# live_server puts clients/python on sys.path, so it comes before the infrashare imports.
import live_server  # noqa: F401

from infrashare import verify_webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HEADERS = {
    "Webhook-Id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "Webhook-Timestamp": "1614265330",
    "Webhook-Signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
BODY = b'{"test": 2432232314}'


def test_the_standard_webhooks_example_verifies():
    verify_webhook(SECRET, HEADERS, BODY, now=1614265330)


def test_one_valid_signature_among_several_is_enough():
    headers = dict(HEADERS)
    headers["Webhook-Signature"] = "v1,bm9ldHVzZWQ= " + HEADERS["Webhook-Signature"]
    verify_webhook(SECRET, headers, BODY, now=1614265330)


@pytest.mark.parametrize(
    "change",
    [
        {"Webhook-Timestamp": "1614265331"},
        {"Webhook-Id": "msg_other"},
        {"Webhook-Signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE"},
    ],
)
def test_a_changed_delivery_is_refused(change):
    with pytest.raises(ValueError):
        verify_webhook(SECRET, {**HEADERS, **change}, BODY, now=1614265330)


def test_an_old_delivery_is_refused():
    with pytest.raises(ValueError, match="timestamp"):
        verify_webhook(SECRET, HEADERS, BODY, now=1614265330 + 301)


@pytest.mark.parametrize(
    "change",
    [
        {"Webhook-Timestamp": "9" * 400},  # int minus float: OverflowError unless checked first
        {"Webhook-Timestamp": "１６１４２６５３３０"},  # full-width digits: isdigit() is true
        {"Webhook-Signature": "v1,ö"},  # compare_digest refuses non-ASCII text (TypeError)
    ],
)
def test_what_an_attacker_sends_is_a_value_error(change):
    with pytest.raises(ValueError):
        verify_webhook(SECRET, {**HEADERS, **change}, BODY, now=1614265330)
