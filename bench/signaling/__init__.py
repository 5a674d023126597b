"""The rendezvous server against PeerJS's server (npm `peer`), same load, same run.

`python -m bench.signaling` starts each server in turn on a free port of 127.0.0.1, each
with a fresh database, and stops it before the next: Parley through `manage.py serve` on
daphne, on uvicorn, and on uvicorn with 2 worker processes sharing a fresh redis-server;
the floor (floor_app.py: a bare relay with no checks on uvicorn, what the stack itself
costs); PeerJS's `PeerServer` in Node. All clients live in one asyncio load process
using `websockets` (a second one when the first is CPU-bound; the output says so).

1. Relay: `--pairs` pairs of clients in a closed loop, one envelope in flight per pair:
   A sends a 1,072-byte blob (1,430 characters of base64url, the smallest sealed size of
   protocol §4) to B, B sends the same blob back, and so on. Parley: `signal` frames to the
   other's connection id in a topic the two share; PeerJS: `OFFER`/`ANSWER` messages
   `{type, dst, payload}` to the other's id. After a warm-up, `--seconds` are measured:
   envelopes relayed per second and one-way latency (the sender's clock at `send` to the
   receiver having parsed the frame: one process, one clock). Every blob is checked to come
   back intact and from the right peer.
2. Connections held: N idle connections (Parley: hello, then join one topic of 4 members;
   PeerJS: open with an id), a settle time, then how many are still open and the server's
   RSS (VmRSS of it and its children) against its RSS before the first one. A fresh server
   for every N.

Parley's per-address caps (32 connections, 128 topic memberships) are raised for every
Parley run through PARLEY_MAX_CONNECTIONS_PER_IP and PARLEY_MAX_TOPICS_PER_IP: all the
load comes from 127.0.0.1. Its per-connection rate limit (20 frames/s, burst 100) is kept
as shipped in one relay run, where the clients pace themselves under it as the real ones
do, and raised (PARLEY_RATE_PER_SECOND, PARLEY_RATE_BURST) in a second. PeerJS's
`concurrent_limit` (5,000) is raised in bench/peerjs_server.mjs; it has no rate limit.
"""

from bench.signaling.clients import raise_file_limit
from bench.signaling.connections_shape import connections
from bench.signaling.relay_shape import relay
from bench.signaling.servers import running

__all__ = ["connections", "raise_file_limit", "relay", "running"]
