"""The mirror connection's memory of unanswered requests (mirror_relay.PendingRequests):
what lets a `mirror-reply` find its requester, bounded, one reply per request."""

from signal_server.mirror_relay import PendingRequests


def test_pending_requests_are_bounded_and_each_reply_answers_one():
    pending = PendingRequests(max_requesters=2)
    pending.add(b"a", "inbox!a")
    pending.add(b"a", "inbox!a")
    pending.add(b"b", "inbox!b")
    assert len(pending) == 2
    assert pending.take(b"a") == "inbox!a"
    pending.add(b"c", "inbox!c")  # `a` asked least recently: forgotten
    assert len(pending) == 2
    assert pending.take(b"a") is None
    assert pending.take(b"b") == "inbox!b"
    assert pending.take(b"b") is None
    assert pending.take(b"c") == "inbox!c"
    assert len(pending) == 0


def test_asking_again_makes_a_requester_the_most_recent():
    pending = PendingRequests(max_requesters=2)
    pending.add(b"a", "inbox!a")
    pending.add(b"b", "inbox!b")
    pending.add(b"a", "inbox!a")
    pending.add(b"c", "inbox!c")  # `b` is now the least recent
    assert pending.take(b"b") is None
    assert pending.take(b"a") == "inbox!a"
