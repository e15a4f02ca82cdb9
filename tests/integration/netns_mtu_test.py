#!/usr/bin/python3
"""MTU, ICMP errors, MSS clamping and hostile input through two ipsecgwd
gateways (topology and helpers: netns_gateways.py). Checks:
  1. a DF ping larger than the tunnel MTU gets ICMP "fragmentation needed"
     from gwA with the tunnel MTU (computed here from the transform's RFC
     layout), hostA's kernel learns it, and a ping of exactly that size passes;
     likewise ICMPv6 "packet too big" for IPv6;
  2. a 3000-byte ping without DF arrives and is answered (the gateways
     fragment the inner packets before ESP);
  3. the TCP SYN and SYN-ACK seen by the hosts carry the clamped MSS;
  4. truncated, bad-checksum, TTL-1, replayed, unknown-SPI, short and forged
     ESP packets sent into gwA's lan and wan ports are dropped and counted
     under their reasons (stats file after SIGTERM), TTL 1 gets ICMP time
     exceeded within the rate limit, while a ping stream loses nothing;
  5. every mbuf is back in each gateway's pool at stop.
Usage: netns_mtu_test.py PATH/TO/ipsecgwd [--natt] [--transform NAME]
"""
import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time

from scapy.all import rdpcap, IP, TCP  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_gateways import (TRANSFORMS, failures, expect, nsx, build_topology, teardown, make_keys,  # noqa: E402
                            start_pair, stop, wait_for_gateway, ping_loss, print_logs_on_failure, check_pool,
                            tunnel_mtu, mac_of, run_python, NS)

ICMP_RATE, ICMP_BURST = 20, 10  # given to the daemons; step 4 exceeds the burst on purpose
# net_af_packet has the kernel reassemble IPv4 fragments before they reach the
# port (the PMD sets PACKET_FANOUT_FLAG_DEFRAG): hostA's 3000-byte ping
# arrives whole, so frames and mbufs must hold it.
FRAME_SIZE = 8192
PORT_ARGS = f",framesz={FRAME_SIZE},blocksz={FRAME_SIZE}"
DAEMON_ARGS = ["--icmp-rate", str(ICMP_RATE), "--icmp-burst", str(ICMP_BURST), "--mbuf-data-room", str(FRAME_SIZE)]
TTL_V4, TTL_V6 = 30, 5


def capture(ns, iface, bpf, path, seconds, count=0):
    """Starts tshark and returns once it captures (it says so on stderr): on
    two busy cores its start-up takes seconds."""
    cmd = f"ip netns exec {NS[ns]} tshark -q -i {iface} -f '{bpf}' -w {path} -a duration:{seconds}"
    if count:
        cmd += f" -c {count}"
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        ready, _, _ = select.select([p.stderr], [], [], deadline - time.time())
        line = p.stderr.readline() if ready else ""
        if not line or "Capturing on" in line:
            break
    time.sleep(0.2)
    return p


def check_fragmentation():
    loss = ping_loss("ha", "10.0.2.10 -M dont -s 3000", count=5)
    expect(loss == 0, f"3000-byte IPv4 ping without DF hostA -> hostB: {loss}% loss")


def mss_of(pkt):
    return dict((k, v) for k, v in pkt[TCP].options if isinstance(k, str)).get("MSS")


def check_mss(workdir, mtu):
    caps = {ns: os.path.join(workdir, f"syn-{ns}.pcap") for ns in ("ha", "hb")}
    bpf = "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0"
    sniffers = [capture("ha", "ha0", bpf, caps["ha"], 7), capture("hb", "hb0", bpf, caps["hb"], 7)]
    server = subprocess.Popen(f"ip netns exec {NS['hb']} iperf3 -s -1", shell=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(1)
    nsx("ha", "iperf3 -c 10.0.2.10 -t 1", check=False, timeout=30)
    for p in sniffers + [server]:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    want = mtu - 40
    sent_syn = [mss_of(p) for p in rdpcap(caps["ha"]) if p[IP].src == "10.0.1.10"]
    got_syn = [mss_of(p) for p in rdpcap(caps["hb"]) if p[IP].src == "10.0.1.10"]
    sent_ack = [mss_of(p) for p in rdpcap(caps["hb"]) if p[IP].src == "10.0.2.10"]
    got_ack = [mss_of(p) for p in rdpcap(caps["ha"]) if p[IP].src == "10.0.2.10"]
    expect(sent_syn and all(m == 1460 for m in sent_syn), f"hostA's SYNs leave with MSS 1460: {sent_syn}")
    expect(got_syn and all(m == want for m in got_syn), f"hostB sees hostA's SYNs with MSS {want}: {got_syn}")
    expect(sent_ack and all(m == 1460 for m in sent_ack), f"hostB's SYN-ACKs leave with MSS 1460: {sent_ack}")
    expect(got_ack and all(m == want for m in got_ack), f"hostA sees the SYN-ACKs with MSS {want}: {got_ack}")


def check_too_big(mtu):
    # 1500 bytes: hostA's own link MTU, above the tunnel's.
    out = nsx("ha", "ping -M do -s 1472 -c 2 -W 1 10.0.2.10", check=False).stdout
    expect(f"From 10.0.1.1 icmp_seq=1 Frag needed and DF set (mtu = {mtu})" in out,
           f"DF ping of 1500 bytes: gwA answers fragmentation needed, mtu {mtu}: {out.splitlines()[1:2]}")
    route = nsx("ha", "ip route get 10.0.2.10").stdout
    expect(f"mtu {mtu}" in route, f"hostA's kernel learnt path MTU {mtu}: {' '.join(route.split())}")
    loss = ping_loss("ha", f"10.0.2.10 -M do -s {mtu - 28}", count=3)
    expect(loss == 0, f"DF ping of exactly {mtu} bytes passes: {loss}% loss")

    out = nsx("ha", "ping -6 -M do -s 1452 -c 2 -W 1 fd00:2::10", check=False).stdout
    expect(f"From fd00:1::1 icmp_seq=1 Packet too big: mtu={mtu}" in out,
           f"IPv6 ping of 1500 bytes: gwA answers packet too big, mtu {mtu}: {out.splitlines()[1:2]}")
    route = nsx("ha", "ip -6 route get fd00:2::10").stdout
    expect(f"mtu {mtu}" in route, f"hostA's kernel learnt IPv6 path MTU {mtu}: {' '.join(route.split())}")
    loss = ping_loss("ha", f"fd00:2::10 -M do -s {mtu - 48}", count=3)
    expect(loss == 0, f"IPv6 ping of exactly {mtu} bytes passes: {loss}% loss")


# Run inside hostA: junk into gwA's lan port, and TTL/hop-limit 1 packets whose
# ICMP time exceeded answers are counted.
LAN_ATTACK = """
import json, time
from scapy.all import *
conf.verb = 0
gw = "{gw_mac}"
e = Ether(dst=gw)
trunc4 = [Ether(dst=gw, type=0x800) / Raw(raw(IP(src="10.0.1.10", dst="10.0.2.10", len=1000) / ICMP())[:12])] * 10
trunc6 = [Ether(dst=gw, type=0x86dd) / Raw(raw(IPv6(src="fd00:1::10", dst="fd00:2::10", plen=1000))[:20])] * 5
badsum = [e / IP(src="10.0.1.10", dst="10.0.2.10", chksum=0xbad) / ICMP(seq=i) for i in range(10)]
ttl6 = [e / IPv6(src="fd00:1::10", dst="fd00:2::10", hlim=1) / ICMPv6EchoRequest(seq=i) for i in range({ttl6})]
ttl4 = [e / IP(src="10.0.1.10", dst="10.0.2.10", ttl=1) / ICMP(seq=i) for i in range({ttl4})]
sniffer = AsyncSniffer(iface="ha0", lfilter=lambda p: (ICMP in p and p[ICMP].type == 11) or
                       (ICMPv6TimeExceeded in p))
sniffer.start()
time.sleep(1)
sendp(trunc4 + trunc6 + badsum, iface="ha0")
sendp(ttl6 + ttl4, iface="ha0")
time.sleep(1.5)
got = sniffer.stop()
te4 = [p for p in got if ICMP in p]
te6 = [p for p in got if ICMPv6TimeExceeded in p]
quote_ok = all(p[IP].src == "10.0.1.1" and p[ICMP].code == 0 and IPerror in p and p[IPerror].dst == "10.0.2.10"
               and p[IPerror].ttl == 1 for p in te4)
quote6_ok = all(p[IPv6].src == "fd00:1::1" and IPerror6 in p and p[IPerror6].hlim == 1 for p in te6)
def recomputed(p, layer, field):
    q = p[IP if layer is ICMP else IPv6].copy()
    setattr(q[layer], field, None)
    return getattr(q.__class__(raw(q))[layer], field)
sum_ok = (all(p[ICMP].chksum == recomputed(p, ICMP, "chksum") for p in te4) and
          all(p[ICMPv6TimeExceeded].cksum == recomputed(p, ICMPv6TimeExceeded, "cksum") for p in te6))
print(json.dumps(dict(te4=len(te4), te6=len(te6), quote_ok=quote_ok, quote6_ok=quote6_ok, sum_ok=sum_ok)))
"""

# Run inside gwB's namespace, sending from the kernel side of gwB's wan veth
# straight into gwA's wan port: replayed ESP, unknown SPI, short ESP, forged
# ICV, truncated and bad-checksum headers.
WAN_ATTACK = """
import json
from scapy.all import *
from scapy.layers.ipsec import ESP
conf.verb = 0
gw = "{gw_mac}"
replay = rdpcap("{replay_pcap}")
e = Ether(dst=gw)
outer = IP(src="192.0.2.2", dst="192.0.2.1")
def esp(spi, seq, body):
    pkt = outer / UDP(sport=4500, dport=4500) if {natt} else outer
    return e / pkt / ESP(spi=spi, seq=seq) / Raw(body)
unknown = [esp(0xdeadbeef, i + 1, bytes(64)) for i in range(10)]
forged = [esp(0x4210, 1000000 + i, bytes(64)) for i in range(5)]
short = [e / IP(src="192.0.2.2", dst="192.0.2.1", proto=50) / Raw(b"\\x00\\x00\\x42\\x10") for i in range(5)]
trunc4 = [Ether(dst=gw, type=0x800) / Raw(raw(IP(src="192.0.2.2", dst="192.0.2.1", len=1000, proto=50))[:12])] * 10
badsum = [e / IP(src="192.0.2.2", dst="192.0.2.1", proto=50, chksum=0xbad) / ESP(spi=0x4210, seq=7) / Raw(bytes(64))] * 10
sendp(list(replay) + unknown + forged + short + trunc4 + badsum, iface="gwb-wan")
print(json.dumps(dict(replayed=len(replay))))
"""


def check_hostile(workdir, natt, replay_pcap):
    gw_lan, gw_wan = mac_of("gwa", "gwa-lan"), mac_of("gwa", "gwa-wan")
    stream = subprocess.Popen(f"ip netns exec {NS['ha']} ping -c 150 -i 0.02 -W 2 10.0.2.10", shell=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lan = json.loads(run_python("ha", LAN_ATTACK.format(gw_mac=gw_lan, ttl4=TTL_V4, ttl6=TTL_V6)))
    wan = json.loads(run_python("gwb", WAN_ATTACK.format(gw_mac=gw_wan, replay_pcap=replay_pcap, natt=natt)))
    out, _ = stream.communicate(timeout=60)
    loss = next((float(l.split("%")[0].split()[-1]) for l in out.splitlines() if "packet loss" in l), 100.0)
    expect(loss == 0, f"ping stream hostA -> hostB during the hostile burst: {loss}% loss")
    answered = lan["te4"] + lan["te6"]
    expect(ICMP_BURST <= answered < TTL_V4 + TTL_V6,
           f"TTL/hop-limit 1: {lan['te4']}+{lan['te6']} time exceeded for {TTL_V4}+{TTL_V6} packets"
           f" (burst {ICMP_BURST}, {ICMP_RATE}/s)")
    expect(lan["te6"] == TTL_V6, f"the IPv6 hop-limit-1 packets, sent first, all get time exceeded ({lan['te6']})")
    expect(lan["quote_ok"] and lan["quote6_ok"], "time exceeded comes from gwA's lan address quoting the packet")
    expect(lan["sum_ok"], "ICMP and ICMPv6 time exceeded checksums verify (scapy recomputes them)")
    return lan, wan


def check_drops(stats, lan, wan):
    d = stats.get("drops", {})
    w = stats.get("worker", {})
    answered = lan["te4"] + lan["te6"]
    want = {
        "replay": wan["replayed"],
        "unknown-spi": 10,
        "bad-icv": 5,
        "esp-short": 5,
        "bad-ip-checksum": 20,
        "malformed": 10 + 5 + 10,
        "ttl-expired": TTL_V4 + TTL_V6,
        "icmp-rate-limited": TTL_V4 + TTL_V6 - answered,
    }
    for reason, n in want.items():
        expect(d.get(reason) == n, f"gwA counts {n} {reason} (stats: {d.get(reason)})")
    expect(d.get("mtu-exceeded", 0) >= 2, f"gwA counts the DF/IPv6 too-big packets ({d.get('mtu-exceeded')})")
    expect(w.get("icmp_errors_sent", 0) == answered + d.get("mtu-exceeded", 0),
           f"gwA sent {w.get('icmp_errors_sent')} ICMP errors: {answered} time exceeded + one per too-big packet")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("daemon")
    ap.add_argument("--natt", action="store_true")
    ap.add_argument("--transform", default="aes128gcm16", choices=sorted(TRANSFORMS))
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="ipsecgw-mtu-")
    keys = make_keys(args.transform)
    mtu = tunnel_mtu(args.transform, args.natt)
    procs = {}
    t0 = time.time()
    try:
        build_topology()
        procs = start_pair(args.daemon, workdir, keys, args.transform, args.natt, DAEMON_ARGS, PORT_ARGS)
        expect(wait_for_gateway("ha", "10.0.1.1"), "hostA reaches gwA")
        expect(wait_for_gateway("hb", "10.0.2.1"), "hostB reaches gwB")
        ping_loss("ha", "10.0.2.10", 3)
        ping_loss("ha", "fd00:2::10", 3)
        # ESP from gwB to gwA, to be replayed in step 4: captured where gwA
        # receives it (net_af_packet sends past the kernel's taps on gwB's side).
        replay_pcap = os.path.join(workdir, "replay.pcap")
        esp_bpf = "src host 192.0.2.2 and " + ("udp port 4500" if args.natt else "esp")
        replay_cap = capture("gwa", "gwa-wan", esp_bpf, replay_pcap, 10, count=20)
        ping_loss("ha", "10.0.2.10", 20)
        try:
            replay_cap.wait(timeout=15)
        except subprocess.TimeoutExpired:
            replay_cap.kill()
        check_fragmentation()
        check_mss(workdir, mtu)
        check_too_big(mtu)
        lan, wan = check_hostile(workdir, args.natt, replay_pcap)
        expect(wan["replayed"] > 0, f"replayed {wan['replayed']} captured ESP packets into gwA")
        stats = {ns: stop(p, ns, workdir) for ns, p in procs.items()}
        procs = {}
        for ns, s in stats.items():
            print(f"      {ns} drops: { {k: v for k, v in s.get('drops', {}).items() if v} }")
            print(f"      {ns} worker: {s.get('worker')}")
            check_pool(s, ns)
            expect(s.get("worker", {}).get("packets_fragmented", 0) >= 5,
                   f"{ns} fragmented the 3000-byte pings before ESP ({s.get('worker', {}).get('packets_fragmented')})")
        check_drops(stats["gwa"], lan, wan)
    except Exception as e:  # report, then clean up
        expect(False, f"harness error: {e!r}")
    finally:
        for ns, p in procs.items():
            p.kill()
        teardown()
        print_logs_on_failure(workdir)
    print(f"netns MTU/ICMP/hostile test ({args.transform}{' NAT-T' if args.natt else ''}, tunnel MTU {mtu}):"
          f" {len(failures)} failed in {time.time() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
