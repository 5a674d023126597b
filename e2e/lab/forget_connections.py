"""Empty the connection tracking table of the namespace it runs in, as a restarting home
router loses its NAT mappings; run there as a script.

    ip netns exec ROUTER python e2e/lab/forget_connections.py

A router that only lost its WAN link keeps its mappings, and connections through it go
on where they were once the link is back. One that restarted has forgotten them: the
next packet of an old connection gets a new mapping (on a symmetric NAT, a new public
port), so the server's TCP socket and the TURN allocation no longer recognise it. That
is the case where a page must notice its server connection died and make a new one.

Debian's `conntrack` tool is not needed: one netfilter netlink request (IPCTNL_MSG_CT_DELETE
with no attributes, which flushes the IPv4 table) does it. No imports from the project.
"""

import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_DELETE = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def forget_connections() -> None:
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as netlink:
        netlink.bind((0, 0))
        nfgenmsg = struct.pack("=BBH", socket.AF_INET, 0, 0)  # family, version, res_id
        kind = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE
        header = struct.pack("=LHHLL", 16 + len(nfgenmsg), kind, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
        netlink.send(header + nfgenmsg)
        answer = netlink.recv(4096)
    _, answer_kind, _, _, _, error = struct.unpack("=LHHLLi", answer[:20])
    if answer_kind != NLMSG_ERROR or error != 0:
        sys.exit(f"flushing conntrack failed: message {answer_kind}, error {-error}")


if __name__ == "__main__":
    forget_connections()
