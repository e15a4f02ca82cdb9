"""ipsecgwd as gwA of the strongSwan harness (strongswan/), with IKEv2
connections to gwB: its configuration, start and stop, its log, and the
loss-counting ping. Used by cli_ike_test.py (several connections, reload);
ike_gateway.py has the one-connection gwA of the interop and lifecycle tests
(to be merged into one: written in parallel).

    hostA --- ipsecgwd(gwA) ===internet (IKE, ESP-in-UDP/4500)=== charon(gwB) --- hostB

kernel-libipsec always does NAT-T, so every connection has encap = true.
"""
import dataclasses
import os
import re
import subprocess
import time

import ipsecgwd_process
from strongswan.harness import LAN, addr

GWA_ID, GWB_ID = "gwa@interop.test", "gwb@interop.test"


def ping(topo, src_ns, dst, count=10, interval=0.05, deadline=None):
    """Loss in percent of exactly `count` echo requests, each given 2 s for
    its reply. (Not the harness's ping: its -w makes ping send extra requests
    when replies are slow, and counts the one in flight at exit as lost.)"""
    del deadline  # replies are waited for per request
    r = topo.ex(src_ns, ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-W", "2", dst], check=False,
                timeout=count * (interval + 2) + 10)
    for line in r.stdout.splitlines():
        if "packet loss" in line:
            return float(line.split("%")[0].split()[-1])
    return 100.0


def wait(pred, timeout, step=0.2):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


@dataclasses.dataclass
class GwConn:
    """One [connections.NAME] of ipsecgwd with one child (config/README.md)."""
    name: str
    psk: str
    ike_proposals: str = "aes128gcm16-prfsha256-x25519"
    esp_proposals: str = "aes128gcm16"
    start_action: str = "start"
    local_id: str = GWA_ID
    remote_id: str = GWB_ID
    child: str = "net"
    local_ts: list = None
    remote_ts: list = None
    child_rekey_time: int = 3600
    dpd_delay: int = 0


def quote(xs):
    return ", ".join(f'"{x}"' for x in xs)


class IkeGateway:
    """ipsecgwd as gwA. `expect(cond, text)` records checks (the test's own)."""

    def __init__(self, topo, daemon, tag, conns, expect, extra_args=()):
        self.topo, self.daemon, self.tag, self.expect = topo, daemon, tag, expect
        self.extra_args = list(extra_args)
        self.dir = os.path.join(topo.workdir, f"ipsecgwd-{tag}")
        os.makedirs(self.dir, exist_ok=True)
        self.prefix = f"{topo.prefix}igw-{tag}"
        self.config = os.path.join(self.dir, "gwa.toml")
        self.stats_path = os.path.join(self.dir, "gwa.json")
        self.log_path = os.path.join(self.dir, "gwa.log")
        self.write_config(conns)
        self.proc = None
        self.stats = {}

    def write_config(self, conns, head=None):
        """(Re)writes the configuration with `conns`; `head` replaces the
        part before the connections (ports, [ike])."""
        text = head if head is not None else self.head()
        for c in conns:
            psk_path = os.path.join(self.dir, f"{c.name}.psk")
            with open(os.open(psk_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(c.psk + "\n")
            text += f"""
[connections.{c.name}]
local_addr = "{addr('gwA', 'wan0')}"
remote_addr = "{addr('gwB', 'wan0')}"
local = {{ id = "{c.local_id}", auth = "psk" }}
remote = {{ id = "{c.remote_id}", auth = "psk" }}
psk_file = "{psk_path}"
proposals = [{quote(c.ike_proposals.split(','))}]
encap = true
dpd_delay = {c.dpd_delay}
keyingtries = 1

[connections.{c.name}.children.{c.child}]
local_ts = [{quote(c.local_ts or LAN['gwA'])}]
remote_ts = [{quote(c.remote_ts or LAN['gwB'])}]
esp_proposals = [{quote(c.esp_proposals.split(','))}]
start_action = "{c.start_action}"
rekey_time = {c.child_rekey_time}
"""
        with open(os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(text)

    @staticmethod
    def head(wan_mtu=None):
        mtu = f"mtu = {wan_mtu}\n" if wan_mtu else ""
        return f"""# ipsecgwd as gwA of the strongSwan harness. TEST PSKs ONLY.
[gateway]
crypto_engine = "ipsec-mb"

[[port]]
name = "lan"
device = "net_af_packet0,iface=lan0"
ipv4 = "{addr('gwA', 'lan0')}/24"
ipv6 = "{addr('gwA', 'lan0', 6)}/64"
role = "protected"

[[port]]
name = "wan"
device = "net_af_packet1,iface=wan0"
ipv4 = "{addr('gwA', 'wan0')}/24"
role = "unprotected"
{mtu}
[ike]
retransmit_timeout = 1.0
retransmit_tries = 3
"""

    def __enter__(self):
        self.proc = ipsecgwd_process.start(self.daemon, self.topo.ns["gwA"], self.config, self.stats_path,
                                           self.log_path, self.prefix, self.extra_args)
        if not wait(lambda: "ipsecgwd: running" in self.log() or self.proc.poll() is not None, 20):
            raise RuntimeError("ipsecgwd did not start: " + self.log()[-800:])
        if self.proc.poll() is not None:
            raise RuntimeError(f"ipsecgwd exited {self.proc.returncode}: " + self.log()[-800:])
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()

    def stop(self):
        rc, leftover, self.stats = ipsecgwd_process.stop(self.proc, self.prefix, self.stats_path)
        self.expect(rc == 0, f"ipsecgwd: SIGTERM stops it with exit 0 (got {rc})")
        self.expect(not leftover, "ipsecgwd: no DPDK runtime files left behind")
        return self.stats

    def show_cli(self, ctl_exe, *commands):
        """Prints what `ipsecgwctl COMMAND` shows of this daemon (the demo
        sets IPSECGWCTL); its default socket is /run/ipsecgw/PREFIX.sock."""
        for command in commands:
            r = subprocess.run([ctl_exe, "--socket", f"/run/ipsecgw/{self.prefix}.sock", command],
                               capture_output=True, text=True, timeout=20)
            print(f"$ ipsecgwctl {command}\n{r.stdout}{r.stderr}", flush=True)
            self.expect(r.returncode == 0, f"ipsecgwctl {command}: exit {r.returncode}")

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def child_up_lines(self, conn="gw", child="net"):
        return re.findall(rf"CHILD_SA {re.escape(conn)}/{re.escape(child)}\[\d+\] up: SPIs 0x([0-9a-f]{{8}})_i "
                          r"0x([0-9a-f]{8})_o, (\S+?),", self.log())
