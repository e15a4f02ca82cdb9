#!/usr/bin/python3
"""IKE fragmentation (RFC 7383) between ipsecgwd (gwA) and strongSwan 5.9.8
(gwB, charon with kernel-libipsec) through the harness in strongswan/:

    hostA --- ipsecgwd(gwA) ===internet (MTU as the case says)=== charon(gwB) --- hostB

With PSK an IKE_AUTH is small, so both sides list 24 extra /24 traffic
selectors besides their LAN: every IKE_AUTH (request and narrowed response)
is then 700-1200 bytes, above the fragment sizes and the 576-byte MTU used
here. Each case runs twice (ipsecgwd initiates, then strongSwan).

Usage: ike_fragment_test.py PATH/TO/ipsecgwd CASE [AUTH]
  CASE = fragments    MTU 1500; [ike] fragment_size = 400 and charon.fragment_size = 400,
                      fragmentation = yes on both: SKF (payload 53) datagrams on the wire
                      from both gateways, none above 400 bytes, no IP fragment; ipsecgwd's
                      counters show fragments sent and messages reassembled; charon logs
                      its reassembly; the CHILD_SA carries pings both ways.
  CASE = mtu576       the internet link's MTU is 576 on both veths and ipsecgwd's port:
                      fragment_size 576 on both (RFC 7383 2.5.1's IPv4 value); IKE_AUTH
                      completes through SKF fragments, no IP fragment on the wire.
  CASE = ip-fragments the same 576-byte link with fragmentation = no on both: the IKE_AUTH
                      messages travel as IP fragments (ipsecgwd fragments its own, its
                      worker reassembles strongSwan's and passes them to the engine).
  AUTH = psk (default), or cert: RSA-2048 certificates from a CA made at
         test time, so that each IKE_AUTH carries a certificate; `mtu576 cert`
         is the issue's "with a 576-byte path MTU on the internet link,
         certificate IKE_AUTH completes through RFC 7383 fragments".
On a failure the IKE exchange captured on gwB's internet veth is printed as
decoded by tshark, with both logs' tails. Exits 1 on any failure.
"""
import os
import re
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ike_gateway import CHECKS, GwConn, Ipsecgwd, expect, ping, report_failure_context, run_case, strongswan_conn  # noqa: E402
import ike_cert_test as cert_test  # noqa: E402  (test PKI made with openssl, identities)
from ike_cert_test import Pki  # noqa: E402
from strongswan.harness import LAN, PKI_PLUGINS, PLUGINS, StrongSwan, addr, capture, installed_children  # noqa: E402

IKE = "aes128gcm16-prfsha256-x25519"
ESP = "aes128gcm16"
EXTRA_TS = 24  # extra selectors per side: makes a PSK IKE_AUTH 700-1200 bytes

# case: (link MTU or None, our fragment_size, charon.fragment_size, fragmentation on both sides)
CASES = {
    "fragments": (None, 400, 400, "yes"),
    "mtu576": (576, 576, 576, "yes"),
    "ip-fragments": (576, 576, 576, "no"),
}
SKF = 53  # RFC 7383 2.5: Encrypted Fragment payload


class PskAuth:
    """AUTHS entry for PSK, the harness default: nothing to add."""
    conn_fields = {}
    plugins = PLUGINS

    def __init__(self, topo):
        del topo

    def setup_gwb(self, gwb):
        pass

    def setup_gwa(self, gwa):
        pass

    def check(self, engine_counters, charon_log):
        pass


class CertAuth(PskAuth):
    """AUTHS entry for RSA-2048 certificates from a CA made at test time
    (ike_cert_test.Pki): both IKE_AUTH messages carry a certificate, the
    issue's case for RFC 7383 on a 576-byte link."""
    plugins = f"{PLUGINS} {PKI_PLUGINS}"

    def __init__(self, topo):
        self.pki = Pki(os.path.join(topo.workdir, "frag"))
        self.pki.ca("trusted-ca")
        for name, fqdn in (("gwa-rsa", cert_test.GWA_ID), ("gwb-rsa", cert_test.GWB_ID)):
            self.pki.gateway(name, "rsa", "trusted-ca", fqdn)
        self.conn_fields = dict(local_id=cert_test.GWB_ID, remote_id=cert_test.GWA_ID, auth="pubkey",
                                local_cert="gwb-rsa.pem")

    def setup_gwb(self, gwb):
        gwb.add_cert("x509ca", "trusted-ca.pem", self.pki.text("trusted-ca", "pem"))
        gwb.add_cert("x509", "gwb-rsa.pem", self.pki.text("gwb-rsa", "pem"))
        gwb.add_cert("private", "gwb-rsa.key", self.pki.text("gwb-rsa", "key"))

    def setup_gwa(self, gwa):
        p = self.pki.path
        gwa.use_certificate(cert_test.GWA_ID, cert_test.GWB_ID, p("gwa-rsa.pem"), p("gwa-rsa.key"),
                            [p("trusted-ca.pem")])

    def check(self, engine_counters, charon_log):
        expect(engine_counters.get("cert-sent", 0) == 1, f"ipsecgwd sent its certificate "
               f"(cert-sent {engine_counters.get('cert-sent')})")
        m = re.search(rf"authentication of '{re.escape(cert_test.GWA_ID)}' with (RSA\S*) successful", charon_log)
        expect(m is not None and f'received end entity cert "C=CH, O=ipsecgw interop test, CN={cert_test.GWA_ID}"'
               in charon_log, f"charon verified ipsecgwd's certificate and RSA signature ({m.group(0) if m else None})")


AUTHS = {"psk": PskAuth, "cert": CertAuth}


def lan_ts(gw):
    """The LAN and EXTRA_TS /24s of benchmark space (RFC 2544) that no host
    uses; disjoint, since strongSwan folds a selector into one that covers it."""
    return list(LAN[gw]) + [f"198.{18 if gw == 'gwA' else 19}.{k}.0/24" for k in range(EXTRA_TS)]


def give_gwb_extra_addresses(topo):
    """kernel-libipsec routes each remote selector with a source address
    inside a local one ("error installing route" without): gwB gets one in
    each of its extra /24s."""
    topo.ex("gwB", f"for k in $(seq 0 {EXTRA_TS - 1}); do ip addr add 198.19.$k.1/24 dev lan0; done")


def wire_summary(pcap, gw_addrs):
    """Per sender: IKE datagrams, SKF ones, the largest IP length of an IKE
    datagram, and IP fragments (tshark reassembles; the fragments are the
    frames with MF set or an offset)."""
    out = {a: {"ike": 0, "skf": 0, "max_ip_len": 0, "ip_fragments": 0} for a in gw_addrs}
    r = subprocess.run(["tshark", "-r", pcap, "-Y", "isakmp", "-T", "fields", "-E", "separator=;",
                        "-E", "occurrence=f", "-e", "ip.src", "-e", "isakmp.nextpayload", "-e", "ip.len"],
                       capture_output=True, text=True, timeout=60)
    for line in r.stdout.splitlines():
        src, nxt, iplen = (line.split(";") + ["", "", ""])[:3]
        if src not in out:
            continue
        out[src]["ike"] += 1
        out[src]["skf"] += nxt.strip() == str(SKF)
        out[src]["max_ip_len"] = max(out[src]["max_ip_len"], int(iplen or 0))
    r = subprocess.run(["tshark", "-r", pcap, "-o", "ip.defragment:FALSE", "-Y",
                        "ip.flags.mf == 1 || ip.frag_offset > 0", "-T", "fields", "-e", "ip.src"],
                       capture_output=True, text=True, timeout=60)
    for src in r.stdout.split():
        if src in out:
            out[src]["ip_fragments"] += 1
    return out


def engine_counters(stats):
    return stats.get("ike", {}).get("engine", {})


def run_phase(topo, daemon, case, auth, initiator):
    mtu, ours, theirs, frag = CASES[case]
    print(f"--- {case} ({auth}): {initiator} initiates", flush=True)
    since = len(CHECKS.failures)
    psk = secrets.token_hex(16)
    auth_mode = AUTHS[auth](topo)
    gwa = gwb = None
    a_ip, b_ip = addr("gwA", "wan0"), addr("gwB", "wan0")
    if mtu:
        topo.ex("gwB", ["ip", "link", "set", "wan0", "mtu", str(mtu)])
    with capture(topo, "gwB", "wan0") as pcap:
        conn = strongswan_conn(psk, IKE, ESP, local_ts=lan_ts("gwB"), remote_ts=lan_ts("gwA"),
                               extra={"fragmentation": frag}, **auth_mode.conn_fields)
        gwb = StrongSwan(topo, "gwB", [conn], retransmit_tries=3, conf_extra=f"  fragment_size = {theirs}\n",
                         plugins=auth_mode.plugins)
        with gwb:
            auth_mode.setup_gwb(gwb)
            gwb.load_conns()
            gwa = Ipsecgwd(topo, daemon, f"{case}-{auth}-{initiator}",
                           [GwConn(psk=psk, ike_proposals=IKE, esp_proposals=ESP,
                                   start_action="start" if initiator == "ipsecgwd" else "none",
                                   local_ts=lan_ts("gwA"), remote_ts=lan_ts("gwB"), conn={"fragmentation": frag})],
                           ike={"fragment_size": ours}, wan_mtu=mtu)
            auth_mode.setup_gwa(gwa)
            if mtu:
                # The DPDK port's veth: the kernel drops af_packet frames above it.
                topo.ex("gwA", ["ip", "link", "set", "wan0", "mtu", str(mtu)])
            with gwa:
                if initiator == "strongswan":
                    r = gwb.initiate("net", timeout=30, check=False)
                    expect(r.returncode == 0, "strongSwan initiates" + ("" if r.returncode == 0 else f": {r.stdout[-600:]}"))
                try:
                    sa = gwb.wait_established("gw", "net", timeout=30)
                except Exception as e:  # noqa: BLE001 - the harness raises on timeout
                    sa = {}
                    expect(False, f"strongSwan lists IKE_SA gw ESTABLISHED with CHILD_SA net ({e})")
                children = installed_children(sa, "net") if sa else []
                expect(sa.get("state") == "ESTABLISHED" and len(children) == 1,
                       f"IKE_SA {sa.get('state')} with {len(children)} CHILD_SA net installed")
                if children:
                    expect(len(children[0].get("local-ts", [])) >= EXTRA_TS,
                           f"the CHILD_SA carries the long selector lists ({len(children[0].get('local-ts', []))} local)")
                    ping(topo, "hostA", addr("hostB", "eth0"), count=2, interval=0.2)
                    for src, dst in (("hostA", "hostB"), ("hostB", "hostA")):
                        loss = ping(topo, src, addr(dst, "eth0"), count=10, interval=0.05)
                        expect(loss == 0, f"ping {src} -> {dst} through the tunnel: {loss}% loss")
                stats = gwa.stop()
        log = gwb.log()
    wire = wire_summary(pcap, [a_ip, b_ip])
    counters = {k: v for k, v in engine_counters(stats).items() if k.startswith("fragment") and v}
    # With net_af_packet the kernel reassembles IP fragments before the PMD
    # (PACKET_FANOUT_FLAG_DEFRAG): the worker's own reassembly shows here
    # only on ports that see fragments.
    print(f"info  wire by sender {wire}; ipsecgwd fragment counters {counters}; IKE I/O "
          f"{stats.get('ike', {}).get('io')}; worker packets_reassembled "
          f"{stats.get('worker', {}).get('packets_reassembled')}", flush=True)
    ec = engine_counters(stats)
    auth_mode.check(ec, log)
    if frag == "yes":
        for who, ip in (("ipsecgwd", a_ip), ("strongSwan", b_ip)):
            expect(wire[ip]["skf"] >= 2, f"{who} sent SKF (payload 53) datagrams: {wire[ip]['skf']}")
            expect(wire[ip]["max_ip_len"] <= CASES[case][1 if who == "ipsecgwd" else 2],
                   f"{who}'s largest IKE datagram is {wire[ip]['max_ip_len']} bytes, within its fragment_size")
            expect(wire[ip]["ip_fragments"] == 0, f"{who} sent no IP fragment ({wire[ip]['ip_fragments']})")
        expect(ec.get("fragments-sent", 0) >= 2 and ec.get("fragments-reassembled", 0) >= 1,
               f"ipsecgwd counted {ec.get('fragments-sent')} fragments sent, {ec.get('fragments-reassembled')} "
               "messages reassembled")
        expect(ec.get("fragment-decrypt-failed", 0) == 0 and ec.get("fragment-invalid", 0) == 0
               and ec.get("fragment-unsupported", 0) == 0, "ipsecgwd: no fragment refused")
        expect(re.search(r"reassembled fragmented IKE message", log) is not None,
               "charon reassembled ipsecgwd's fragments (its log)")
    else:
        expect(wire[a_ip]["skf"] == 0 and wire[b_ip]["skf"] == 0, "no SKF on the wire with fragmentation = no")
        for who, ip in (("ipsecgwd", a_ip), ("strongSwan", b_ip)):
            expect(wire[ip]["ip_fragments"] >= 2, f"{who}'s IKE_AUTH went as IP fragments ({wire[ip]['ip_fragments']})")
        expect(ec.get("fragments-sent", 0) == 0, "ipsecgwd sent no SKF")
    expect(psk not in gwa.log() and psk not in gwb.output(), "the PSK is in no log")
    report_failure_context(topo, gwa, gwb, pcap, since)


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in CASES or (len(sys.argv) == 4 and sys.argv[3] not in AUTHS):
        print(__doc__)
        return 2
    daemon, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    auth = sys.argv[3] if len(sys.argv) == 4 else "psk"

    def body(topo):
        give_gwb_extra_addresses(topo)
        for initiator in ("ipsecgwd", "strongswan"):
            run_phase(topo, daemon, case, auth, initiator)
    return run_case(f"ike fragment {case} ({auth})", body)


if __name__ == "__main__":
    sys.exit(main())
