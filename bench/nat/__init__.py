"""Parley across NATs against bare WebRTC over the same path, in the NAT lab (issue 16).

    python -m bench.nat                      # as root: the lab is network namespaces
    python -m bench.nat --samples 3 --mib 16 --paths relayed

In e2e/lab's NatLab (homes behind cone-like and symmetric NAT routers, coturn and the
Parley server on the public network 203.0.113.0/24), for each path:

- direct:  cone_a -> cone_b, hole-punched (server-reflexive candidates);
- relayed: symmetric_a -> symmetric_b, through coturn (only a relay gets through).

it measures, in the same run and interleaved so a busy machine slows both alike:

1. time to connect: a bare RTCPeerConnection pair (bare.py) against two Parley users
   in a room (parley.py); median, range, and the ratio Parley / bare;
2. file MB/s: a bare data channel pushing N MiB against a Parley file of the same size
   between the same two homes, each after a warm-up transfer on its connection;
3. coturn's CPU per MB relayed (coturn_cpu.py): its process CPU time before and after
   each relayed transfer.

Both sides use the ICE servers the lab's Parley server hands out (STUN and TURN on
coturn, policy "all"), and the selected candidate pair of each is recorded, so a figure
labelled relayed really went through coturn. The table is printed; the figures go to
bench/results/nat.json. bench/README.md ("NAT lab") says what was measured last.
"""
