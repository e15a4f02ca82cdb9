#!/usr/bin/python3
"""Two ipsecgwd gateways between real hosts in network namespaces (topology
and helpers in netns_gateways.py). Checks:
  - hostA pings gwA, and hostB over IPv4 and IPv6 through the tunnel, 0% loss;
  - an iperf3 TCP stream runs 10 s hostA -> hostB;
  - captures at both ends of the wan link carry only ESP (or UDP 4500 with
    --natt) between the gateways, and scapy decrypts them with the configured
    keys (an independent decoder) into the hosts' ICMP echo requests/replies;
  - every mbuf is back in each gateway's pool at stop;
  - SIGTERM stops each daemon with exit 0, leaving no /var/run/dpdk/<prefix>;
    a second start with the same prefix works;
  - the daemons ran in the lcore shape asked for (--lcores: single-lcore,
    one worker, or several workers with --qpairs RX/TX queue pairs per port).
Usage: netns_tunnel_test.py PATH/TO/ipsecgwd [--natt] [--transform NAME] [--lcores MAP] [--qpairs N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from scapy.all import rdpcap, IP, IPv6, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, raw  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipsecgwd_process  # noqa: E402
from netns_gateways import (TRANSFORMS, NS, failures, expect, nsx, build_topology, teardown, make_keys,  # noqa: E402
                            start_pair, start, stop, wait_for_gateway, ping_loss, print_logs_on_failure,
                            check_pool)


def check_mode(workdir, lcores):
    """The daemons ran in the shape asked for: single-lcore, or one worker per
    EAL lcore after the main one (their start line says which)."""
    n = len((lcores or ipsecgwd_process.DEFAULT_LCORES).split(",")) - 1
    want = "single-lcore" if n == 0 else f"{n} worker lcore" + ("s" if n > 1 else "")
    for ns in ("gwa", "gwb"):
        with open(os.path.join(workdir, f"{ns}.log")) as f:
            line = next((l for l in f if "running:" in l), "")
        expect(line.rstrip().endswith(want), f"{ns} ran with {want}: {line.strip()}")


def check_capture(pcaps, keys, transform, natt):
    crypt, _, auth, alen = TRANSFORMS[transform]
    sas = {}
    for spi, key in keys.items():
        spi_i = int(spi, 16)
        kw = dict(spi=spi_i, crypt_algo=crypt, crypt_key=key[:len(key) - alen] if alen else key)
        if auth:
            kw.update(auth_algo=auth, auth_key=key[len(key) - alen:])
        # Tunnel mode: scapy returns the inner packet when given a tunnel header.
        kw["tunnel_header"] = IP(src="192.0.2.1", dst="192.0.2.2")
        if natt:
            kw["nat_t_header"] = UDP(sport=4500, dport=4500)
        sas[spi_i] = SecurityAssociation(ESP, **kw)
    plaintext = other = 0
    echoes = set()
    for path in pcaps:
        for p in rdpcap(path):
            if IP not in p:
                continue
            if p[IP].src.startswith("10.") or p[IP].dst.startswith("10."):
                plaintext += 1
            if natt:
                if not (UDP in p and p[UDP].dport == 4500):
                    other += 1
                    continue
                esp = ESP(raw(p[UDP].payload))
            else:
                if p[IP].proto != 50:
                    other += 1
                    continue
                esp = p[ESP]
            wire = IP(src=p[IP].src, dst=p[IP].dst, proto=50) / esp
            inner = sas[esp.spi].decrypt(wire)
            if ICMP in inner:
                echoes.add((inner[IP].src, inner[IP].dst, inner[ICMP].type))
            elif ICMPv6EchoRequest in inner or ICMPv6EchoReply in inner:
                t = 128 if ICMPv6EchoRequest in inner else 129
                echoes.add((inner[IPv6].src, inner[IPv6].dst, t))
    expect(plaintext == 0, f"no plaintext LAN packet on the wan link (saw {plaintext})")
    expect(other == 0, f"only {'UDP-4500 ' if natt else ''}ESP between the gateways (saw {other} other)")
    for want in (("10.0.1.10", "10.0.2.10", 8), ("10.0.2.10", "10.0.1.10", 0),
                 ("fd00:1::10", "fd00:2::10", 128), ("fd00:2::10", "fd00:1::10", 129)):
        expect(want in echoes, f"scapy decrypts the wan capture to {want[0]} -> {want[1]} ICMP type {want[2]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("daemon")
    ap.add_argument("--natt", action="store_true")
    ap.add_argument("--transform", default="aes128gcm16", choices=sorted(TRANSFORMS))
    ap.add_argument("--lcores", help="EAL lcore map (default: control core and one worker)")
    ap.add_argument("--qpairs", type=int, default=1,
                    help="queue pairs per net_af_packet port (one per worker, one more gives the control core its own)")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="ipsecgw-netns-")
    keys = make_keys(args.transform)
    procs = {}
    try:
        build_topology()
        port_args = f",qpairs={args.qpairs}" if args.qpairs > 1 else ""
        procs = start_pair(args.daemon, workdir, keys, args.transform, args.natt, port_args=port_args,
                           lcores=args.lcores)
        expect(wait_for_gateway("ha", "10.0.1.1"), "hostA reaches gwA (ARP + ICMP echo answered by ipsecgwd)")
        expect(wait_for_gateway("hb", "10.0.2.1"), "hostB reaches gwB")
        # Warm up neighbour resolution on every hop, then measure.
        ping_loss("ha", "10.0.2.10", 3)
        ping_loss("ha", "fd00:2::10", 3)
        caps = [os.path.join(workdir, f"wan-{s}.pcap") for s in "ab"]
        tsharks = [subprocess.Popen(f"ip netns exec {NS['gw' + s]} tshark -q -i gw{s}-wan -w {c} -a duration:8",
                                    shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for s, c in zip("ab", caps)]
        time.sleep(2)
        loss4 = ping_loss("ha", "10.0.2.10")
        loss6 = ping_loss("ha", "fd00:2::10")
        expect(loss4 == 0, f"IPv4 ping hostA -> hostB through the tunnel: {loss4}% loss")
        expect(loss6 == 0, f"IPv6 ping hostA -> hostB through the tunnel: {loss6}% loss")
        for t in tsharks:
            t.wait(timeout=30)
        check_capture(caps, keys, args.transform, args.natt)
        server = subprocess.Popen(f"ip netns exec {NS['hb']} iperf3 -s -1", shell=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        r = nsx("ha", "iperf3 -c 10.0.2.10 -t 10 -J", check=False, timeout=60)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        try:
            end = json.loads(r.stdout)["end"]
            gbps = end["sum_received"]["bits_per_second"] / 1e9
            retr = end["sum_sent"].get("retransmits", 0)
            expect(gbps > 0.01, f"iperf3 TCP 10 s hostA -> hostB: {gbps:.2f} Gbit/s received ({retr} retransmits)")
        except (ValueError, KeyError):
            expect(False, f"iperf3 TCP 10 s hostA -> hostB ran: {r.stdout[-300:]} {r.stderr[-300:]}")
        stats = {ns: stop(p, ns, workdir) for ns, p in procs.items()}
        procs = {}
        for ns, s in stats.items():
            drops = {k: v for k, v in s.get("drops", {}).items() if v}
            print(f"      {ns} drops: {drops}")
            check_pool(s, ns)
        # A second start with the same file prefix works.
        check_mode(workdir, args.lcores)
        procs["gwa"] = start(args.daemon, "gwa", workdir, lcores=args.lcores)
        expect(wait_for_gateway("ha", "10.0.1.1"), "gwA starts again with the same prefix and answers")
        stop(procs.pop("gwa"), "gwa", workdir)
    except Exception as e:  # report, then clean up
        expect(False, f"harness error: {e}")
    finally:
        for ns, p in procs.items():
            p.kill()
        teardown()
        print_logs_on_failure(workdir)
    mode = f"{args.transform}{' NAT-T' if args.natt else ''}"
    print(f"netns tunnel test ({mode}): {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
