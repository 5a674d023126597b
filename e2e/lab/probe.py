"""Wait until a server inside a lab namespace answers; run there as a script.

    ip netns exec NS python e2e/lab/probe.py http 203.0.113.1 8000
    ip netns exec NS python e2e/lab/probe.py stun 203.0.113.1 3478

The test process itself has no route into the lab, so it asks from inside. A listening
socket alone proves nothing (the kernel accepts into the backlog before the server runs):
`http` waits for an HTTP status line, `stun` for the answer to a STUN Binding request
(RFC 8489), which is coturn's UDP listener working. Exit 0 once answered, 1 at the
deadline. No imports from the project: it runs under any python3.
"""

import os
import socket
import struct
import sys
import time

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS = 0x0001, 0x0101


def http_answers(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=1.0) as sock:
        sock.sendall(f"HEAD / HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        return sock.recv(16).startswith(b"HTTP/")


def stun_answers(host: str, port: int) -> bool:
    transaction = os.urandom(12)
    request = struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC_COOKIE) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(request, (host, port))
        answer = sock.recv(1024)
    kind, _, cookie = struct.unpack("!HHI", answer[:8])
    return kind == BINDING_SUCCESS and cookie == MAGIC_COOKIE and answer[8:20] == transaction


def main() -> int:
    kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    check = {"http": http_answers, "stun": stun_answers}[kind]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check(host, port):
                return 0
        except OSError:
            pass
        time.sleep(0.1)
    print(f"{kind} on {host}:{port} did not answer within {timeout} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
