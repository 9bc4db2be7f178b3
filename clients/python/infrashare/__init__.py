"""infrashare: the Python client for the infrashare registry, scheduler and desk.

The generated messages and stubs live in ``infrashare.registry.v1``, ``infrashare.scheduler.v1``
and ``infrashare.auth.v1`` (from ``proto/``, by ``scripts/generate-clients``); ``Client`` adds the
token, deadlines, safe retries and paging, and ``Client.watch`` follows a change stream
across server restarts.
"""

from infrashare.client import Client, from_datetime, to_datetime
from infrashare.errors import InfrashareError
from infrashare.watch import Watch
from infrashare.webhooks import verify_webhook

__all__ = ["Client", "InfrashareError", "Watch", "from_datetime", "to_datetime", "verify_webhook"]
