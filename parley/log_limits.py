"""A rate limit on log lines, so that no client can make the server write without end.

Hostile clients cause log lines by the thousand (a refused connection, a closed one, an
error of the server's own), and each costs disk and CPU. `RateLimitFilter` lets a burst of
`burst` lines through and then `per_second` on average (a token bucket); what it drops is
counted and said on the next line it lets through, so the log still tells how much
happened. Attached to the console handler in parley/settings.py (LOGGING), so that it
covers Django's, daphne's access log (signal_server/daphne_server.py) and uvicorn's.
`ClientFaultFilter` keeps the line but drops the traceback of a known client fault.
"""

import logging
import time

# Lines the servers log with a traceback for what is a client's fault, not theirs: the
# line stays, its traceback goes (it points into the server's own code every time).
# Each is the start of the message and the name of the exception's class.
CLIENT_FAULTS = (
    # uvicorn (websockets-sansio), for a text frame that is not UTF-8; it closes with 1007.
    ("Invalid UTF-8 sequence received from client.", "UnicodeDecodeError"),
    # The same, when the frame comes after the connection began to close: uvicorn's try to
    # close it again raises, and asyncio reports it as a failure of the transport.
    ("Fatal error on transport", "InvalidState"),
)


class ClientFaultFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            message, kind = str(record.msg), type(record.exc_info[1]).__name__
            if any(message.startswith(m) and kind == k for m, k in CLIENT_FAULTS):
                record.exc_info = None
                record.exc_text = None
        return True


class RateLimitFilter(logging.Filter):
    def __init__(self, per_second: float = 5.0, burst: int = 100, clock=time.monotonic) -> None:
        super().__init__()
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens < 1:
            self.dropped += 1
            return False
        self.tokens -= 1
        if self.dropped:
            # Said on this line rather than a line of its own, which the limit would count.
            record.msg = f"{record.getMessage()} [{self.dropped} log lines dropped before this]"
            record.args = ()
            self.dropped = 0
        return True
