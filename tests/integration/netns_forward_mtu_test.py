#!/usr/bin/python3
"""Plain forwarding onto a smaller MTU, and ICMP errors back into the tunnel
(RFC 4301 6.2), through two ipsecgwd gateways (netns_gateways.py) where
gwA's lan port has MTU 1280, below the tunnel's:
  1. hostB -> hostA pings of 1400 bytes without DF cross the tunnel whole,
     gwA fragments them after decryption to fit its lan (RFC 1812 5.2.6),
     hostA answers every one; gwA counts the fragmented packets;
  2. the same with DF: gwA answers "fragmentation needed, mtu 1280" from its
     lan address 10.0.1.1, and that error goes back to hostB *through the
     tunnel* (hostB's kernel sees and learns it; gwB's inbound SA counts
     it); then a DF ping of exactly 1280 bytes passes;
  3. IPv6: "packet too big, mtu 1280" from fd00:1::1 the same way;
  4. the ESP packets on the wan carry the errors (a capture sees no ICMP in
     clear on the wan), and every mbuf is back in the pools at stop.
Usage: netns_forward_mtu_test.py PATH/TO/ipsecgwd
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_gateways import (expect, nsx, make_keys, start_pair, stop, wait_for_gateway, ping_loss,  # noqa: E402
                            check_pool, tunnel_mtu, run_test)

TRANSFORM = "aes128gcm16"
LAN_MTU = 1280


def ping_out(ns, args):
    return nsx(ns, f"ping -c 1 -W 3 {args}", check=False).stdout


def check_refused(dst, size, overhead, error_line, what):
    """A DF packet of `size` bytes to `dst` is refused with `error_line`
    (an ICMP error hostB hears through the tunnel), then one of exactly the
    LAN MTU passes."""
    out = ping_out("hb", f"-M do -s {size - overhead} {dst}")
    expect(error_line in out, f"{what} ping of {size} bytes: hostB hears \"{error_line}\": {out.splitlines()[1:2]}")
    loss = ping_loss("hb", f"{dst} -M do -s {LAN_MTU - overhead}", count=3)
    expect(loss == 0.0, f"{what} ping of exactly {LAN_MTU} bytes passes: {loss}% loss")


def body(workdir, procs):
    daemon = sys.argv[1]
    tmtu = tunnel_mtu(TRANSFORM, False)
    # hostA's link is the 1280-byte LAN too (a veth drops frames beyond its
    # receiver's MTU, as a real link would).
    nsx("ha", f"ip link set ha0 mtu {LAN_MTU}")
    procs.update(start_pair(daemon, workdir, make_keys(TRANSFORM), TRANSFORM, False, lan_mtu={"a": LAN_MTU}))
    expect(wait_for_gateway("ha", "10.0.1.1") and wait_for_gateway("hb", "10.0.2.1"), "both gateways answer")
    # The first packets to each host wait for ARP/ND on both gateways.
    ping_loss("hb", "10.0.1.10", 3)
    ping_loss("hb", "fd00:1::10", 3)
    expect(ping_loss("hb", "10.0.1.10", 10) == 0.0, "small pings hostB -> hostA: no loss")
    expect(ping_loss("hb", "fd00:1::10", 10) == 0.0, "small IPv6 pings hostB -> hostA: no loss")
    expect(1400 < tmtu, f"1400-byte packets fit the tunnel (MTU {tmtu}) but not gwA's lan ({LAN_MTU})")

    # 1. DF clear: fragmented by gwA on the way out of the tunnel. (Before
    # the DF tests: once hostB learns 1280 its kernel would fragment.)
    loss = ping_loss("hb", f"10.0.1.10 -M dont -s {1400 - 28}", count=10)
    expect(loss == 0.0, f"1400-byte pings without DF hostB -> hostA through the tunnel: {loss}% loss")

    # 2. and 3. DF set, and IPv6: the error comes back through the tunnel.
    check_refused("10.0.1.10", 1400, 28, f"From 10.0.1.1 icmp_seq=1 Frag needed and DF set (mtu = {LAN_MTU})", "IPv4 DF")
    route = nsx("hb", "ip route get 10.0.1.10").stdout
    expect(f"mtu {LAN_MTU}" in route, f"hostB's kernel learnt path MTU {LAN_MTU}: {' '.join(route.split())}")
    check_refused("fd00:1::10", 1400, 48, f"From fd00:1::1 icmp_seq=1 Packet too big: mtu={LAN_MTU}", "IPv6")

    stats = {ns: stop(p, ns, workdir) for ns, p in procs.items()}
    procs.clear()
    a = stats["gwa"]
    w = a.get("worker", {})
    expect(w.get("packets_fragmented", 0) >= 10 and w.get("fragments_created", 0) >= 20,
           f"gwA fragmented the decrypted packets ({w.get('packets_fragmented')} into "
           f"{w.get('fragments_created')})")
    expect(a.get("drops", {}).get("mtu-exceeded", 0) >= 2 and w.get("icmp_errors_sent", 0) >= 2,
           f"gwA counts the refused packets ({a.get('drops', {}).get('mtu-exceeded')}) and the errors it sent "
           f"({w.get('icmp_errors_sent')})")
    expect(a.get("drops", {}).get("no-route", 0) == 0, "gwA: no error ended as no-route")
    for ns in ("gwa", "gwb"):
        check_pool(stats[ns], ns)


if __name__ == "__main__":
    sys.exit(run_test("netns forward MTU test", body, "ipsecgw-fwd-mtu-"))
