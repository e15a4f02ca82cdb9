"""Network namespaces for the IKEv2 interop tests, and the tools that run in them.

The topology (addresses are fixed so that configs and assertions can name them):

    hostA ---lan--- gwA ===internet=== gwB ---lan--- hostB
    eth0            lan0  wan0         wan0  lan0    eth0

    hostA eth0  10.0.1.10/24  fd00:1::10/64    default via gwA
    gwA   lan0  10.0.1.1/24   fd00:1::1/64
    gwA   wan0  192.0.2.1/24  2001:db8::1/64   (RFC 5737 / RFC 3849 documentation ranges)
    gwB   wan0  192.0.2.2/24  2001:db8::2/64
    gwB   lan0  10.0.2.1/24   fd00:2::1/64
    hostB eth0  10.0.2.10/24  fd00:2::10/64    default via gwB

A gateway named in `dpdk_gateways` is left for ipsecgwd: its veths get no
kernel address and no IPv6 (ipsecgwd answers ARP/ND itself through
net_af_packet, and a kernel address would make the kernel answer too), and
every veth whose peer it owns gets `ethtool -K tx off` (otherwise TCP arrives
with unfinished checksums as 64 KB TSO frames: DESIGN.md). The addresses in
ADDR still describe what that gateway must be configured with.

Every namespace name starts with the caller's prefix; nothing here sends to an
address outside those namespaces.
"""
import contextlib
import json
import os
import shlex
import signal
import subprocess
import tempfile
import time

NAMES = ("hostA", "gwA", "gwB", "hostB")

# (namespace, interface) -> (IPv4 with prefix length, IPv6 with prefix length)
ADDR = {
    ("hostA", "eth0"): ("10.0.1.10/24", "fd00:1::10/64"),
    ("gwA", "lan0"): ("10.0.1.1/24", "fd00:1::1/64"),
    ("gwA", "wan0"): ("192.0.2.1/24", "2001:db8::1/64"),
    ("gwB", "wan0"): ("192.0.2.2/24", "2001:db8::2/64"),
    ("gwB", "lan0"): ("10.0.2.1/24", "fd00:2::1/64"),
    ("hostB", "eth0"): ("10.0.2.10/24", "fd00:2::10/64"),
}
# The three veth pairs: (ns, iface) <-> (ns, iface).
LINKS = ((("hostA", "eth0"), ("gwA", "lan0")),
         (("gwA", "wan0"), ("gwB", "wan0")),
         (("gwB", "lan0"), ("hostB", "eth0")))
LAN = {"gwA": ("10.0.1.0/24", "fd00:1::/64"), "gwB": ("10.0.2.0/24", "fd00:2::/64")}


def addr(ns, iface, family=4):
    """The bare address of (ns, iface), e.g. addr("gwA", "wan0") == "192.0.2.1"."""
    return ADDR[(ns, iface)][0 if family == 4 else 1].split("/")[0]


def run(cmd, check=True, timeout=60, **kw):
    """Runs an argv list (or a shell string), returns CompletedProcess with text output."""
    r = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd!r} failed ({r.returncode}): {r.stderr.strip()[-500:]}")
    return r


class Topology:
    """Four namespaces and three veth pairs; use through topology() so it is always torn down."""

    def __init__(self, prefix, dpdk_gateways=(), tx_offload_off=False):
        self.prefix = prefix
        self.ns = {n: f"{prefix}{n}" for n in NAMES}
        self.dpdk_gateways = set(dpdk_gateways)
        self.tx_offload_off = tx_offload_off
        self.workdir = tempfile.mkdtemp(prefix=f"{prefix}work-")
        self._procs = []

    def ex(self, ns, argv, **kw):
        """Runs argv (list or shell string) inside namespace `ns` (a NAMES entry)."""
        if isinstance(argv, str):
            argv = ["sh", "-c", argv]
        return run(["ip", "netns", "exec", self.ns[ns]] + list(argv), **kw)

    def popen(self, ns, argv, **kw):
        """Starts argv in `ns` in the background; the process is killed at teardown if still alive."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[ns]] + list(argv), **kw)
        self._procs.append(p)
        return p

    def build(self):
        for n in NAMES:
            run(["ip", "netns", "add", self.ns[n]])
            dpdk = n in self.dpdk_gateways
            # Set before the veths exist so that they inherit it: no duplicate
            # address detection (addresses usable at once, no late "flags
            # changed" events that make charon start roam jobs).
            self.ex(n, f"sysctl -qw net.ipv6.conf.all.disable_ipv6={1 if dpdk else 0} "
                       f"net.ipv6.conf.default.disable_ipv6={1 if dpdk else 0} "
                       "net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 "
                       "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0")
            if n.startswith("gw") and not dpdk:
                self.ex(n, "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1")
            self.ex(n, ["ip", "link", "set", "lo", "up"])
        for (na, ia), (nb, ib) in LINKS:
            run(["ip", "link", "add", ia, "netns", self.ns[na], "type", "veth", "peer", "name", ib,
                 "netns", self.ns[nb]])
        peer_of = {}
        for a, b in LINKS:
            peer_of[a], peer_of[b] = b, a
        for (n, i), (v4, v6) in ADDR.items():
            self.ex(n, ["ip", "link", "set", i, "up"])
            if self.tx_offload_off or peer_of[(n, i)][0] in self.dpdk_gateways:
                self.ex(n, ["ethtool", "-K", i, "tx", "off"])
            if n in self.dpdk_gateways:
                continue
            self.ex(n, ["ip", "addr", "add", v4, "dev", i])
            self.ex(n, ["ip", "-6", "addr", "add", v6, "dev", i, "nodad"])
        for h, gw, i in (("hostA", "gwA", "lan0"), ("hostB", "gwB", "lan0")):
            self.ex(h, ["ip", "route", "add", "default", "via", addr(gw, i, 4)])
            self.ex(h, ["ip", "-6", "route", "add", "default", "via", addr(gw, i, 6)])

    def teardown(self):
        for p in self._procs:
            if p.poll() is None:
                p.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=5)
        for n in self.ns.values():
            # Anything still running in a namespace (a charon that did not stop,
            # a stray iperf3) dies with it; its mount namespace goes with it.
            pids = run(["ip", "netns", "pids", n], check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run(["ip", "netns", "del", n], check=False)
        run(["rm", "-rf", self.workdir], check=False)


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def topology(prefix=None, dpdk_gateways=(), tx_offload_off=False):
    """Builds hostA, gwA, gwB, hostB (names prefixed, default "swt<pid>-") and tears them down
    on exit, also on an exception, SIGTERM (meson's timeout) or SIGHUP. Leftovers of runs that
    were SIGKILLed are removed first (cleanup_stale).

    dpdk_gateways: gateways left without kernel addresses for ipsecgwd (see module doc).
    tx_offload_off: turn TX checksum offload off on every veth (not only those facing DPDK).
    """
    prefix = prefix or f"swt{os.getpid()}-"
    cleanup_stale()
    old = {s: signal.signal(s, _raise_exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    topo = Topology(prefix, dpdk_gateways, tx_offload_off)
    try:
        topo.build()
        yield topo
    finally:
        topo.teardown()
        for s, h in old.items():
            signal.signal(s, h)


def cleanup_stale(base="swt"):
    """Removes what a run killed with SIGKILL left behind: namespaces "<base><pid>-*" and work dirs
    "/tmp/<base><pid>-work-*" whose pid is no longer alive (a live run's are never touched)."""
    import glob
    import re
    pattern = re.compile(rf"^{re.escape(base)}(\d+)-")

    def dead(name):
        m = pattern.match(name)
        return m is not None and not os.path.exists(f"/proc/{m.group(1)}")
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if dead(name):
            for pid in run(["ip", "netns", "pids", name], check=False).stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run(["ip", "netns", "del", name], check=False)
    for d in glob.glob(os.path.join(tempfile.gettempdir(), f"{base}*-work-*")):
        if dead(os.path.basename(d)):
            run(["rm", "-rf", d], check=False)


def ping(topo, src_ns, dst, count=5, interval=0.2, deadline=None):
    """Pings dst from src_ns; returns the loss in percent (100.0 if ping printed no summary)."""
    deadline = deadline or int(count * interval + 5)
    r = topo.ex(src_ns, ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-w", str(deadline), dst],
                check=False, timeout=deadline + 10)
    for line in r.stdout.splitlines():
        if "packet loss" in line:
            return float(line.split("%")[0].split()[-1])
    return 100.0


def iperf3(topo, client_ns, server_ns, server_addr, seconds=3, reverse=False, bitrate=None):
    """Runs one iperf3 TCP test client_ns -> server_addr (in server_ns); returns Gbit/s received.
    `bitrate` (iperf3 -b, e.g. "100M") caps the sender; default: as fast as it goes.

    Raises RuntimeError (with iperf3's output) when the test did not run.
    """
    server = topo.popen(server_ns, ["iperf3", "-s", "-1", "-B", server_addr],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = None
        for _ in range(20):  # the server needs a moment to listen
            time.sleep(0.25)
            r = topo.ex(client_ns, ["iperf3", "-c", server_addr, "-t", str(seconds), "-J", "--connect-timeout",
                                    "3000"] + (["-R"] if reverse else []) + (["-b", bitrate] if bitrate else []),
                        check=False, timeout=seconds + 30)
            if r.returncode == 0 or "Connection refused" not in r.stdout + r.stderr:
                break
        try:
            end = json.loads(r.stdout)["end"]
            return end["sum_received"]["bits_per_second"] / 1e9
        except (ValueError, KeyError) as e:
            raise RuntimeError(f"iperf3 did not run ({e}): {r.stdout[-400:]} {r.stderr[-400:]}")
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
        if server.poll() is None:
            server.kill()


@contextlib.contextmanager
def capture(topo, ns, iface, max_seconds=60, bpf=None):
    """Captures (dumpcap, libpcap format) on (ns, iface) while the with-block runs; yields the pcap path
    (complete on exit; at most max_seconds of traffic; `bpf`: a capture filter such as "udp port 500").

        with capture(topo, "gwA", "wan0") as pcap:
            ping(...)
        packets = scapy.all.rdpcap(pcap)
    """
    path = os.path.join(topo.workdir, f"{ns}-{iface}-{time.monotonic_ns()}.pcap")
    err = open(path + ".log", "w+")
    # dumpcap (tshark's capture engine) prints "File: ..." only once the
    # interface is open and the file created; tshark's own "Capturing on"
    # comes earlier and a capture started on it missed the first packets.
    p = topo.popen(ns, ["dumpcap", "-q", "-i", iface, "-P", "-w", path, "-a", f"duration:{max_seconds}"]
                   + (["-f", bpf] if bpf else []),
                   stdout=subprocess.DEVNULL, stderr=err)
    started = _wait_for_text(err.name, "File:", p, 15)
    try:
        if not started:
            raise RuntimeError(f"dumpcap did not start on {ns}/{iface}: {open(err.name).read()[-300:]}")
        yield path
    finally:
        time.sleep(0.3)  # let the last frames reach the file
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
        err.close()


def _wait_for_text(path, needle, proc, timeout):
    """Polls file `path` until it contains needle; False on timeout or when proc exits first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(path) as f:
            if needle in f.read():
                return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def capture_for(topo, ns, iface, seconds):
    """Captures on (ns, iface) for `seconds` (blocking) and returns the pcap path."""
    with capture(topo, ns, iface, max_seconds=int(seconds) + 30) as path:
        time.sleep(seconds)
    return path
