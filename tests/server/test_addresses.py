"""Which address a connection counts against, and the per-address registry on its own."""

import pytest

from signal_server.addresses import client_address
from signal_server.state.memory import MemoryAddressRegistry as AddressRegistry


def scope(peer: str | None = "198.51.100.7", *forwarded: str) -> dict:
    headers = [(b"origin", b"http://127.0.0.1")]
    headers += [(b"x-forwarded-for", value.encode("latin-1")) for value in forwarded]
    return {"client": (peer, 51000) if peer else None, "headers": headers}


def test_without_a_trusted_proxy_the_socket_peer_counts():
    assert client_address(scope("198.51.100.7"), 0) == "198.51.100.7"


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored():
    # Anybody can send the header; believing it would let one host pose as many.
    for spoofed in ("203.0.113.1", "203.0.113.1, 203.0.113.2", "garbage", ""):
        assert client_address(scope("198.51.100.7", spoofed), 0) == "198.51.100.7"


def test_one_trusted_proxy_the_rightmost_entry_counts():
    # nginx appends the address it was connected from; entries left of it came from
    # the client and are not believed.
    assert client_address(scope("10.0.0.2", "203.0.113.9"), 1) == "203.0.113.9"
    assert client_address(scope("10.0.0.2", "6.6.6.6, 7.7.7.7, 203.0.113.9"), 1) == ("203.0.113.9")


def test_n_trusted_proxies_the_nth_entry_from_the_right_counts():
    # client -> CDN -> nginx -> daphne: the CDN appends the client, nginx the CDN.
    header = "6.6.6.6, 203.0.113.9, 192.0.2.50"
    assert client_address(scope("10.0.0.2", header), 2) == "203.0.113.9"
    assert client_address(scope("10.0.0.2", header), 3) == "6.6.6.6"


def test_several_headers_are_one_list():
    assert client_address(scope("10.0.0.2", "6.6.6.6", "203.0.113.9 , 192.0.2.50"), 2) == (
        "203.0.113.9"
    )


def test_the_header_name_is_matched_in_any_case():
    spelled = {"client": ("10.0.0.2", 1), "headers": [(b"X-Forwarded-For", b"203.0.113.9")]}
    assert client_address(spelled, 1) == "203.0.113.9"


def test_fewer_entries_than_proxies_falls_back_to_the_peer():
    # The request did not come through every proxy, so no entry is the proxies' word.
    assert client_address(scope("198.51.100.7"), 1) == "198.51.100.7"
    assert client_address(scope("198.51.100.7", "203.0.113.9"), 2) == "198.51.100.7"


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4():
    a = client_address(scope("2001:db8:1:2:aaaa::1"), 0)
    b = client_address(scope("2001:db8:1:2:bbbb::2"), 0)
    c = client_address(scope("2001:db8:1:3::1"), 0)
    assert a == b == "2001:db8:1:2::/64"
    assert c != a
    assert client_address(scope("::ffff:198.51.100.7"), 0) == "198.51.100.7"
    assert client_address(scope("10.0.0.2", "[::1]"), 1) == "[::1]"  # not an address: as is


def test_an_entry_that_is_not_an_address_is_used_as_written_and_bounded():
    assert client_address(scope("10.0.0.2", "unknown"), 1) == "unknown"
    assert len(client_address(scope("10.0.0.2", "x" * 5000), 1)) == 64
    assert client_address(scope("10.0.0.2", "203.0.113.9,"), 1) == "unknown"  # empty entry


def test_no_peer_and_no_proxy_is_one_unknown_address():
    assert client_address(scope(None), 0) == "unknown"
    assert client_address({"headers": []}, 0) == "unknown"


@pytest.mark.parametrize("header", [b"\xff\xfe", "203.0.113.9\u00e9".encode("latin-1")])
def test_odd_header_bytes_do_not_raise(header):
    odd = {"client": ("10.0.0.2", 1), "headers": [(b"x-forwarded-for", header)]}
    assert isinstance(client_address(odd, 1), str)


async def test_registry_counts_and_forgets_an_address_that_holds_nothing():
    registry = AddressRegistry()
    assert await registry.connections("a") == 0
    await registry.add_connection("a")
    await registry.add_connection("a")
    await registry.add_topic("a")
    await registry.add_topic("a")
    await registry.add_connection("b")
    assert (await registry.connections("a"), await registry.topics("a")) == (2, 2)
    await registry.remove_topic("a")
    await registry.remove_connection("a", topics=1)
    assert (await registry.connections("a"), await registry.topics("a")) == (1, 0)
    await registry.remove_connection("a", topics=0)
    assert len(registry) == 1  # only b is remembered
    await registry.remove_connection("b", topics=0)
    assert len(registry) == 0
