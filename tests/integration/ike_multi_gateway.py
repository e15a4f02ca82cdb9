"""ipsecgwd as gwA of the strongSwan harness (strongswan/) with several
IKEv2 connections to gwB, its configuration rewritable for `reload`: used
by cli_ike_test.py. Start, stop, log and the ports come from ike_gateway.py
(GatewayProcess, ports_toml), whose Ipsecgwd is the one-connection gwA of
the interop, lifecycle, certificate and fragmentation tests.

    hostA --- ipsecgwd(gwA) ===internet (IKE, ESP-in-UDP/4500)=== charon(gwB) --- hostB

kernel-libipsec always does NAT-T, so every connection has encap = true.
"""
import dataclasses
import os

from ike_gateway import GWA_ID, GWB_ID, GatewayProcess, ping, ports_toml, wait  # noqa: F401 (ping, wait: for tests)
from strongswan.harness import LAN, addr


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


class IkeGateway(GatewayProcess):
    """ipsecgwd as gwA. `expect(cond, text)` records checks (the test's own)."""

    def __init__(self, topo, daemon, tag, conns, expect, extra_args=()):
        super().__init__(topo, daemon, tag)
        self.expect = expect
        self.extra_args = list(extra_args)
        self.write_config(conns)

    def _check(self, cond, what):
        return self.expect(cond, what)

    def _args(self):
        return self.extra_args

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
        return ("# ipsecgwd as gwA of the strongSwan harness. TEST PSKs ONLY.\n" + ports_toml(wan_mtu)
                + "\n[ike]\nretransmit_timeout = 1.0\nretransmit_tries = 3\n")
