"""A server stream (Watch*, StreamAssignments) as an iterator that survives a server restart."""

import threading
import time

import grpc

from infrashare.errors import InfrashareError

# A stream open this long before it failed was a working stream, not a failed opening.
STABLE_S = 10.0


class Watch:
    """The events of one server stream, in order, across server restarts.

    When the stream ends with UNAVAILABLE (the server restarted or was killed, the connection
    dropped) it is opened again with the cursor of the last event this iterator returned, so no
    event is missed and none comes twice. Every other failure is raised as ``InfrashareError``
    (then the watch is over): an expired cursor as FAILED_PRECONDITION with reason
    ``CURSOR_EXPIRED``, a refused request, a revoked token, a reader too slow for the server
    (RESOURCE_EXHAUSTED: watch again from ``cursor``).

    ``close()`` ends it from any thread (a reader waiting for the next event gets StopIteration),
    and so does leaving a ``with`` block. One thread reads it at a time.
    """

    def __init__(
        self,
        open_stream,
        cursor,
        cursor_field="cursor",
        max_reconnects=10,
        backoff_s=0.1,
        max_backoff_s=5.0,
        on_reconnect=None,
    ):
        # open_stream(cursor) starts the call; max_reconnects counts failed openings in a row
        # (the defaults give up after about 25 s); on_reconnect(error, cursor) is told before each.
        self._open_stream = open_stream
        self._cursor = cursor
        self._cursor_field = cursor_field
        self._max_reconnects = max_reconnects
        self._first_backoff_s = backoff_s
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._on_reconnect = on_reconnect
        self._failed_openings = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._call = None
        self._opened_at = 0.0

    @property
    def cursor(self):
        """The cursor of the last event returned (or the one the watch started from): resume here."""
        return self._cursor

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            with self._lock:
                if self._closed.is_set():
                    raise StopIteration
                if self._call is None:
                    self._call = self._open_stream(self._cursor)
                    self._opened_at = time.monotonic()
                call, opened_at = self._call, self._opened_at
            try:
                event = next(call)
            except StopIteration:  # the server ended the stream with OK
                self.close()
                raise
            except grpc.RpcError as error:
                failure = InfrashareError(error)
            else:
                self._stream_works()
                self._cursor = getattr(event, self._cursor_field) or self._cursor
                return event
            # Raised from here, not from the except block, so no grpc exception rides along.
            with self._lock:
                if self._call is call:
                    self._call = None
            if self._closed.is_set():  # close() cancelled it
                raise StopIteration
            self._wait_to_reopen(failure, opened_at)

    def close(self):
        with self._lock:
            self._closed.set()
            call, self._call = self._call, None
        if call is not None:
            call.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _stream_works(self):
        self._failed_openings = 0
        self._backoff_s = self._first_backoff_s

    def _wait_to_reopen(self, failure, opened_at):
        """Returns when the stream may be opened again; raises when it must not be."""
        if time.monotonic() - opened_at >= STABLE_S:
            self._stream_works()
        if (
            failure.code != grpc.StatusCode.UNAVAILABLE
            or self._failed_openings >= self._max_reconnects
        ):
            self.close()
            raise failure
        self._failed_openings += 1
        if self._on_reconnect is not None:
            try:
                self._on_reconnect(failure, self._cursor)
            except BaseException:
                self.close()
                raise
        wait, self._backoff_s = self._backoff_s, min(self._backoff_s * 2, self._max_backoff_s)
        if self._closed.wait(wait):
            raise StopIteration
