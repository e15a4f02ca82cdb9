#!/usr/bin/python3
"""Two ipsecgwd gateways between real hosts in network namespaces:

    hostA --lan-- gwA ==wan (ESP)== gwB --lan-- hostB
    10.0.1.10      10.0.1.1  192.0.2.1  192.0.2.2  10.0.2.1      10.0.2.10
    fd00:1::10     fd00:1::1                       fd00:2::1     fd00:2::10

Each gateway is an ipsecgwd with net_af_packet ports on veths (no kernel
address on the gateway side, TX checksum offload off: DESIGN.md). Checks:
  - hostA pings gwA, and hostB over IPv4 and IPv6 through the tunnel, 0% loss;
  - an iperf3 TCP stream runs 10 s hostA -> hostB;
  - captures at both ends of the wan link carry only ESP (or UDP 4500 with
    --natt) between the gateways, and scapy decrypts them with the configured
    keys (an independent decoder) into the hosts' ICMP echo requests/replies;
  - SIGTERM stops each daemon with exit 0, leaving no /var/run/dpdk/<prefix>;
    a second start with the same prefix works.
Usage: netns_tunnel_test.py PATH/TO/ipsecgwd [--natt] [--transform NAME]
"""
import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import rdpcap, IP, IPv6, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, raw  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

# name: (scapy crypt algo, key bytes incl. salt, scapy auth algo, auth key bytes)
TRANSFORMS = {
    "aes128gcm16": ("AES-GCM", 20, None, 0),
    "aes256gcm16": ("AES-GCM", 36, None, 0),
    "chacha20poly1305": ("CHACHA20-POLY1305", 36, None, 0),
    "aes128-sha256": ("AES-CBC", 16, "SHA2-256-128", 32),
}

SUFFIX = f"{os.getpid() % 100000}"
NS = {n: f"igw{SUFFIX}-{n}" for n in ("ha", "gwa", "gwb", "hb")}
failures = []


def sh(cmd, check=True, **kw):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd!r} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def nsx(ns, cmd, **kw):
    return sh(f"ip netns exec {NS[ns]} {cmd}", **kw)


def expect(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def build_topology():
    for n in NS.values():
        sh(f"ip netns add {n}")
    links = [("ha", "ha0", "gwa", "gwa-lan"), ("gwa", "gwa-wan", "gwb", "gwb-wan"), ("gwb", "gwb-lan", "hb", "hb0")]
    for a, ia, b, ib in links:
        sh(f"ip link add {ia} netns {NS[a]} type veth peer name {ib} netns {NS[b]}")
    for ns in NS:
        gw = ns.startswith("gw")
        # Gateways: the kernel must stay silent on their veths (no IPv6, no
        # addresses); hosts: IPv6 on, no duplicate address detection delays.
        nsx(ns, f"sysctl -qw net.ipv6.conf.all.disable_ipv6={1 if gw else 0}")
        nsx(ns, f"sysctl -qw net.ipv6.conf.default.accept_dad=0")
        nsx(ns, "ip link set lo up")
    for ns, ifs in (("ha", ["ha0"]), ("gwa", ["gwa-lan", "gwa-wan"]), ("gwb", ["gwb-wan", "gwb-lan"]), ("hb", ["hb0"])):
        for i in ifs:
            nsx(ns, f"ip link set {i} up")
            nsx(ns, f"ethtool -K {i} tx off", check=False)
    for ns, i, v4, gw4, v6, gw6 in (("ha", "ha0", "10.0.1.10/24", "10.0.1.1", "fd00:1::10/64", "fd00:1::1"),
                                    ("hb", "hb0", "10.0.2.10/24", "10.0.2.1", "fd00:2::10/64", "fd00:2::1")):
        nsx(ns, f"ip addr add {v4} dev {i}")
        nsx(ns, f"ip -6 addr add {v6} dev {i} nodad")
        nsx(ns, f"ip route add default via {gw4}")
        nsx(ns, f"ip -6 route add default via {gw6}")


def teardown():
    for ns in ("gwa", "gwb"):
        sh(f"pkill -TERM -f 'file-prefix igw{SUFFIX}{ns}'", check=False)
    time.sleep(1)
    for n in NS.values():
        sh(f"ip netns pids {n} | xargs -r kill -9", check=False)
        sh(f"ip netns del {n}", check=False)
    for ns in ("gwa", "gwb"):
        sh(f"rm -rf /var/run/dpdk/igw{SUFFIX}{ns}", check=False)


def config(side, keys, transform, natt):
    me, peer = ("1", "2") if side == "a" else ("2", "1")
    wan_me, wan_peer = (f"192.0.2.{me}", f"192.0.2.{peer}")
    lines = [f"""# ipsecgw integration test gateway {side.upper()}: TEST KEYS ONLY
[gateway]
crypto_engine = "ipsec-mb"

[[port]]
name = "lan"
device = "net_af_packet0,iface=gw{side}-lan"
ipv4 = "10.0.{me}.1/24"
ipv6 = "fd00:{me}::1/64"
mtu = 1500
role = "protected"

[[port]]
name = "wan"
device = "net_af_packet1,iface=gw{side}-wan"
ipv4 = "{wan_me}/24"
mtu = 1500
role = "unprotected"
"""]
    for fam, lan_me, lan_peer in (("4", f"10.0.{me}.0/24", f"10.0.{peer}.0/24"),
                                  ("6", f"fd00:{me}::/64", f"fd00:{peer}::/64")):
        # No routes: the SPD sends the LAN traffic into the SA, and the SA's
        # outer destination is on the wan port's own subnet.
        for direction, spi_from, spi_to in (("outbound", me, peer), ("inbound", peer, me)):
            spi = f"0x{fam}{spi_from}{spi_to}0"
            lines.append(f"""
[[sa]]
name = "{direction}-v{fam}"
direction = "{direction}"
spi = {spi}
transform = "{transform}"
mode = "tunnel"
local = "{wan_me}"
remote = "{wan_peer}"
key = "0x{keys[spi].hex()}"
""" + ("udp_encap = { src_port = 4500, dst_port = 4500 }\n" if natt else ""))
            src, dst = (lan_me, lan_peer) if direction == "outbound" else (lan_peer, lan_me)
            lines.append(f"""
[[policy]]
name = "{direction}-v{fam}"
direction = "{direction}"
priority = 10
src = "{src}"
dst = "{dst}"
protocol = "any"
action = "protect"
sa = "{direction}-v{fam}"
""")
    return "".join(lines)


def start(daemon, ns, workdir):
    cfg = os.path.join(workdir, f"{ns}.toml")
    stats = os.path.join(workdir, f"{ns}.json")
    log = open(os.path.join(workdir, f"{ns}.log"), "w")
    # No shell in between: SIGTERM must reach the daemon itself (ip netns
    # exec execs it in place).
    cmd = ["ip", "netns", "exec", NS[ns], daemon, "--config", cfg, "--stats-file", stats, "--", "-l", "0",
           "--no-huge", "-m", "512", "--no-pci", "--file-prefix", f"igw{SUFFIX}{ns}", "--log-level=error"]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def stop(proc, ns, workdir):
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "timeout"
    expect(rc == 0, f"{ns}: SIGTERM stops the daemon with exit 0 (got {rc})")
    expect(not os.path.exists(f"/var/run/dpdk/igw{SUFFIX}{ns}"), f"{ns}: no DPDK runtime files left behind")
    try:
        return json.load(open(os.path.join(workdir, f"{ns}.json")))
    except (OSError, ValueError):
        return {}


def wait_for_gateway(ns_host, addr):
    for _ in range(40):
        if nsx(ns_host, f"ping -c 1 -W 1 {addr}", check=False).returncode == 0:
            return True
        time.sleep(0.25)
    return False


def ping_loss(ns, addr, count=20):
    out = nsx(ns, f"ping -c {count} -i 0.05 -W 2 {addr}", check=False).stdout
    for line in out.splitlines():
        if "packet loss" in line:
            return float(line.split("%")[0].split()[-1])
    return 100.0


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
    args = ap.parse_args()
    _, klen, _, alen = TRANSFORMS[args.transform]
    workdir = tempfile.mkdtemp(prefix="ipsecgw-netns-")
    keys = {}
    for fam in "46":
        for a, b in (("1", "2"), ("2", "1")):
            keys[f"0x{fam}{a}{b}0"] = secrets.token_bytes(klen + alen)
    procs = {}
    try:
        build_topology()
        for side in "ab":
            path = os.path.join(workdir, f"gw{side}.toml")
            with open(path, "w") as f:
                f.write(config(side, keys, args.transform, args.natt))
            os.chmod(path, 0o600)
            procs[f"gw{side}"] = start(args.daemon, f"gw{side}", workdir)
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
        # A second start with the same file prefix works.
        procs["gwa"] = start(args.daemon, "gwa", workdir)
        expect(wait_for_gateway("ha", "10.0.1.1"), "gwA starts again with the same prefix and answers")
        stop(procs.pop("gwa"), "gwa", workdir)
    except Exception as e:  # report, then clean up
        expect(False, f"harness error: {e}")
    finally:
        for ns, p in procs.items():
            p.kill()
        teardown()
        if failures:
            for ns in ("gwa", "gwb"):
                log = os.path.join(workdir, f"{ns}.log")
                if os.path.exists(log):
                    print(f"--- {ns}.log ---\n" + open(log).read()[-2000:])
    mode = f"{args.transform}{' NAT-T' if args.natt else ''}"
    print(f"netns tunnel test ({mode}): {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
