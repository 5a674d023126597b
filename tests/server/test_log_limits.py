"""The log's rate limit and its client-fault filter (parley/log_limits.py)."""

import logging

from parley.log_limits import ClientFaultFilter, RateLimitFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.ERROR, __file__, 1, message, (), exc_info)


def test_a_burst_passes_then_lines_are_dropped_and_counted_on_the_next_one():
    clock = Clock()
    limit = RateLimitFilter(per_second=2, burst=3, clock=clock)
    assert [limit.filter(record(f"line {n}")) for n in range(5)] == [True] * 3 + [False] * 2
    clock.now = 0.5  # one line's worth of refill
    passed = record("after")
    assert limit.filter(passed)
    assert passed.getMessage() == "after [2 log lines dropped before this]"
    assert not limit.filter(record("again"))
    clock.now = 100.0  # refilled to the burst, no more
    assert [limit.filter(record("x")) for _ in range(4)] == [True] * 3 + [False]


def test_a_line_that_passes_after_none_dropped_is_unchanged():
    limit = RateLimitFilter(per_second=1, burst=2, clock=Clock())
    line = record("hello %s")
    line.args = ("there",)
    assert limit.filter(line)
    assert line.getMessage() == "hello there"


def exc_info_of(error: BaseException):
    try:
        raise error
    except BaseException as raised:
        return (type(raised), raised, raised.__traceback__)


def test_a_known_client_fault_loses_its_traceback_and_keeps_its_line():
    fault = record(
        "Invalid UTF-8 sequence received from client.",
        exc_info_of(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")),
    )
    assert ClientFaultFilter().filter(fault)
    assert fault.exc_info is None


def test_any_other_error_keeps_its_traceback():
    same_message_other_error = record(
        "Invalid UTF-8 sequence received from client.", exc_info_of(ValueError("x"))
    )
    other_message = record("Exception in ASGI application", exc_info_of(RuntimeError("x")))
    for line in (same_message_other_error, other_message):
        assert ClientFaultFilter().filter(line)
        assert line.exc_info is not None
