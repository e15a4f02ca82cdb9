"""Shared by the netns tests: the topology of two ipsecgwd gateways between
hosts in network namespaces, their configuration, start/stop, and checks.

    hostA --lan-- gwA ==wan (ESP)== gwB --lan-- hostB
    10.0.1.10      10.0.1.1  192.0.2.1  192.0.2.2  10.0.2.1      10.0.2.10
    fd00:1::10     fd00:1::1                       fd00:2::1     fd00:2::10

Each gateway is an ipsecgwd with net_af_packet ports on veths (no kernel
address on the gateway side, TX checksum offload off: DESIGN.md).
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipsecgwd_process  # noqa: E402

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
        nsx(ns, "sysctl -qw net.ipv6.conf.default.accept_dad=0")
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


def config(side, keys, transform, natt, port_args="", lan_mtu=1500):
    me, peer = ("1", "2") if side == "a" else ("2", "1")
    wan_me, wan_peer = (f"192.0.2.{me}", f"192.0.2.{peer}")
    lines = [f"""# ipsecgw integration test gateway {side.upper()}: TEST KEYS ONLY
[gateway]
crypto_engine = "ipsec-mb"

[[port]]
name = "lan"
device = "net_af_packet0,iface=gw{side}-lan{port_args}"
ipv4 = "10.0.{me}.1/24"
ipv6 = "fd00:{me}::1/64"
mtu = {lan_mtu}
role = "protected"

[[port]]
name = "wan"
device = "net_af_packet1,iface=gw{side}-wan{port_args}"
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


def start(daemon, ns, workdir, extra=(), lcores=None):
    return ipsecgwd_process.start(daemon, NS[ns], os.path.join(workdir, f"{ns}.toml"),
                                  os.path.join(workdir, f"{ns}.json"), os.path.join(workdir, f"{ns}.log"),
                                  f"igw{SUFFIX}{ns}", extra, lcores)


def stop(proc, ns, workdir):
    rc, leftover, stats = ipsecgwd_process.stop(proc, f"igw{SUFFIX}{ns}", os.path.join(workdir, f"{ns}.json"))
    expect(rc == 0, f"{ns}: SIGTERM stops the daemon with exit 0 (got {rc})")
    expect(not leftover, f"{ns}: no DPDK runtime files left behind")
    return stats


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



# The ESP layout of each transform, from its RFC, for an independent figure of
# the tunnel MTU: (IV bytes, ICV bytes, block size the ESP body pads to).
ESP_LAYOUT = {
    "aes128gcm16": (8, 16, 4),        # RFC 4106
    "aes256gcm16": (8, 16, 4),
    "chacha20poly1305": (8, 16, 4),   # RFC 7634
    "aes128-sha256": (16, 16, 16),    # RFC 3602 + RFC 4868
}


def tunnel_mtu(transform, natt, port_mtu=1500):
    """The largest inner packet of one ESP tunnel packet over IPv4 (RFC 4303
    2: SPI 4 + sequence 4 + IV, body padded to the block with 2 trailer bytes,
    ICV), with the 8-byte UDP header of NAT-T."""
    iv, icv, block = ESP_LAYOUT[transform]
    room = port_mtu - 20 - (8 if natt else 0) - 8 - iv - icv
    return room - room % block - 2


def check_pool(stats, ns):
    """Every mbuf back in the pool at stop (or waiting for a neighbour)."""
    pool = stats.get("mbuf_pool", {})
    start, stop, held = pool.get("avail_at_start"), pool.get("avail_at_stop"), pool.get("held_for_neighbors", 0)
    expect(start is not None and stop is not None and stop + held == start,
           f"{ns}: mbuf pool free count at stop {stop} (+{held} held for neighbours) equals that at start {start}"
           f" (pool of {pool.get('size')})")


def make_keys(transform):
    """Random keys for the four SAs (v4/v6, each direction), by SPI text."""
    _, klen, _, alen = TRANSFORMS[transform]
    keys = {}
    for fam in "46":
        for a, b in (("1", "2"), ("2", "1")):
            keys[f"0x{fam}{a}{b}0"] = secrets.token_bytes(klen + alen)
    return keys


def start_pair(daemon, workdir, keys, transform, natt, extra=(), port_args="", lan_mtu=None, lcores=None):
    """Writes both configurations (readable by root only) and starts gwA, gwB.
    `port_args` is appended to each net_af_packet device string; `lan_mtu`
    maps "a"/"b" to that gateway's lan port MTU (default 1500); `lcores` is
    the EAL lcore map (ipsecgwd_process.DEFAULT_LCORES)."""
    procs = {}
    for side in "ab":
        path = os.path.join(workdir, f"gw{side}.toml")
        with open(path, "w") as f:
            f.write(config(side, keys, transform, natt, port_args, (lan_mtu or {}).get(side, 1500)))
        os.chmod(path, 0o600)
        procs[f"gw{side}"] = start(daemon, f"gw{side}", workdir, extra, lcores)
    return procs


def mac_of(ns, ifname):
    return json.loads(nsx(ns, f"ip -j link show {ifname}").stdout)[0]["address"]


def run_python(ns, code, timeout=60):
    """Runs `code` with Debian's python3 (scapy) inside namespace `ns`; returns its stdout."""
    r = subprocess.run(["ip", "netns", "exec", NS[ns], "/usr/bin/python3", "-c", code], capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"python in {ns} failed: {r.stderr.strip()[-500:]}")
    return r.stdout


def print_logs_on_failure(workdir):
    if failures:
        for ns in ("gwa", "gwb"):
            log = os.path.join(workdir, f"{ns}.log")
            if os.path.exists(log):
                print(f"--- {ns}.log ---\n" + open(log).read()[-2000:])


def run_test(title, body, prefix="ipsecgw-"):
    """Runs body(workdir, procs) in a fresh topology; `procs` is the dict the
    body keeps its running daemons in (whatever is left is killed). Prints
    the logs on failure, tears everything down and ends with a summary line;
    returns the exit code."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    procs = {}
    try:
        build_topology()
        body(workdir, procs)
    finally:
        print_logs_on_failure(workdir)
        for p in procs.values():
            p.kill()
        teardown()
    print(f"{title}: {len(failures)} failures")
    return 1 if failures else 0
