import pytest
from django.core.checks import run_checks
from django.test import override_settings

from signal_server.limits import Limits, TokenBucket
from signal_server.system_checks import CHECK_OVERLAY_DEGREE


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_starts_full_and_empties():
    bucket = TokenBucket(rate=1, burst=3, clock=FakeClock())
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_bucket_refills_at_the_rate_and_never_above_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    for _ in range(3):
        assert bucket.take()
    clock.now += 0.49
    assert not bucket.take()  # 0.98 tokens
    clock.now += 0.01
    assert bucket.take()  # 1 token, spent
    assert not bucket.take()
    clock.now += 3600
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_an_empty_bucket_is_not_charged_for_refused_frames():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, burst=1, clock=clock)
    assert bucket.take()
    for _ in range(10):
        assert not bucket.take()
    clock.now += 1
    assert bucket.take()


def test_limits_are_read_from_settings_when_asked():
    conf = {
        "MAX_FRAME_BYTES": 1000,
        "MAX_TOPICS_PER_CONNECTION": 2,
        "SAMPLE_SIZE": 3,
        "RATE_PER_SECOND": 4.5,
        "RATE_BURST": 5,
        "FLOOD_STRIKES": 6,
        "MAX_ERRORS": 7,
        "IDLE_SECONDS": 8,
        "MAX_CONNECTIONS_PER_IP": 9,
        "MAX_TOPICS_PER_IP": 10,
        "WAKE_RATE_PER_SECOND": 0.5,
        "WAKE_BURST": 11,
        "MAILBOX_WAKE_RATE_PER_SECOND": 0.25,
        "MAILBOX_WAKE_BURST": 12,
        "WAKES_IN_FLIGHT": 13,
        "ICE_RATE_PER_SECOND": 0.125,
        "ICE_BURST": 14,
        "ICE_ADDRESS_RATE_PER_SECOND": 0.0625,
        "ICE_ADDRESS_BURST": 15,
        "MIRROR_MAX_TOPICS": 16,
        "MIRROR_RATE_PER_SECOND": 17.5,
        "MIRROR_BURST": 18,
        "MIRROR_WAKE_RATE_PER_SECOND": 19.5,
        "MIRROR_WAKE_BURST": 20,
        "MIRROR_WAKES_IN_FLIGHT": 21,
        "MIRROR_REQUEST_RATE_PER_SECOND": 22.5,
        "MIRROR_REQUEST_BURST": 23,
        "OVERLAY_DEGREE": "3, 2,4",
    }
    with override_settings(PARLEY_SIGNAL=conf):
        limits = Limits.from_settings()
    first = (1000, 2, 3, 4.5, 5, 6, 7, 8.0, 9, 10, 0.5, 11, 0.25, 12, 13, 0.125, 14, 0.0625)
    assert limits == Limits(*first, 15, 16, 17.5, 18, 19.5, 20, 21, 22.5, 23, (3, 2, 4))
    assert limits.for_client() == {
        "frame_bytes": 1000,
        "topics": 2,
        "sample": 3,
        "rate_per_second": 4.5,
        "burst": 5,
        "idle_seconds": 8.0,
        "overlay": {"target": 3, "low": 2, "high": 4},
    }


@pytest.mark.parametrize("text", ["8,6,12", "1,1,1", "64,64,64", " 3, 2, 4 "])
def test_an_overlay_degree_clients_take_starts(settings, text):
    settings.PARLEY_SIGNAL = {**settings.PARLEY_SIGNAL, "OVERLAY_DEGREE": text}
    assert [m.id for m in run_checks() if m.id == CHECK_OVERLAY_DEGREE] == []


@pytest.mark.parametrize(
    "text", ["", "8,6", "8,6,12,1", "8,9,12", "13,6,12", "0,0,0", "8,6,65", "8.0,6,12", "-1,1,1"]
)
def test_an_overlay_degree_clients_refuse_stops_the_start(settings, text):
    settings.PARLEY_SIGNAL = {**settings.PARLEY_SIGNAL, "OVERLAY_DEGREE": text}
    assert [m.id for m in run_checks() if m.id == CHECK_OVERLAY_DEGREE] == [CHECK_OVERLAY_DEGREE]
