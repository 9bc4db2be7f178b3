"""infrashare: the Python client for the infrashare registry, scheduler and desk.

The generated messages and stubs live in ``infrashare.registry.v1``, ``infrashare.scheduler.v1``
and ``infrashare.auth.v1`` (from ``proto/``, by ``scripts/generate-clients``); ``Client`` adds the
token, deadlines, safe retries and paging.
"""

from infrashare.client import Client, InfrashareError, from_datetime, to_datetime

__all__ = ["Client", "InfrashareError", "from_datetime", "to_datetime"]
