"""Hostile input against a real Parley server: what it costs, and whether it lasts.

`python -m bench.hostile` starts `manage.py serve` (daphne, then uvicorn) as a process on
a free port of 127.0.0.1 and, while an honest pair relays signals through it, opens many
connections that send every kind of bad frame (`kinds.py`): malformed JSON, frames over
the protocol's and the transport's limits, binary frames, deeply nested JSON, duplicate
keys, wrong field types, unknown types, floods past the rate limit, and connections cut
off in the middle of a frame. Everything is bounded: a time per kind and a frame count.

It reads the server's RSS (/proc/PID/status VmRSS) before, at its peak, and after the
hostile connections are gone, counts the bytes and lines the server logged and the honest
pair's relays, and prints them (bench/results/hostile.json keeps them). The figures live
in bench/README.md, never in tests: tests/transport/test_hostile_input.py sends the same
kinds and checks only what must always hold (no traceback, bounded logging, relays on).
"""
