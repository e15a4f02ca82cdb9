#!/usr/bin/python3
"""strongSwan <-> strongSwan through the interop harness (tests/integration/strongswan):

    hostA --- charon(gwA) ===internet (ESP-in-UDP/4500)=== charon(gwB) --- hostB

It proves the harness that the ipsecgwd IKEv2 interop tests will use, with
strongSwan on both sides. For each proposal set (IKE aes128gcm16-prfsha256-x25519
/ ESP aes128gcm16, and chacha20poly1305-prfsha256-x25519 / ESP chacha20poly1305),
PSK authenticated:
  - gwA initiates; both sides list the IKE SA ESTABLISHED and the CHILD_SA
    INSTALLED with the negotiated algorithms, the same IKE SPIs, and each
    side's inbound ESP SPI equal to the other's outbound one;
  - hostA <-> hostB ping over IPv4 and IPv6 in both directions, 0% loss;
  - gwA rekeys the CHILD_SA: both sides move to one new SPI pair, pings still pass;
  - a capture of gwA's internet veth from before IKE_SA_INIT to after the
    rekey holds only IKE (500, then 4500 with the non-ESP marker) and
    ESP-in-UDP/4500 between the gateways, with exactly the negotiated SPIs;
  - a 3 s iperf3 TCP hostA -> hostB carries traffic;
  - terminate on gwA removes the SA on both sides; SIGTERM stops charon with 0.
Then with a wrong PSK on gwB: the initiation fails, no side has an SA, and
gwA's log shows the AUTHENTICATION_FAILED notify (RFC 7296 2.21.2).
No log contains a PSK. Exits 1 on any failure and prints one result line.
"""
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from strongswan.harness import (LAN, Conn, StrongSwan, addr, capture, classify, esp_spis, installed_children,  # noqa: E402
                               iperf3, ping, topology)

CASES = (
    # (IKE proposal, ESP proposal, vici encr-alg name expected for both)
    ("aes128gcm16-prfsha256-x25519", "aes128gcm16", "AES_GCM_16"),
    ("chacha20poly1305-prfsha256-x25519", "chacha20poly1305", "CHACHA20_POLY1305"),
)
GW_OUTER = (addr("gwA", "wan0"), addr("gwB", "wan0"))
failures = []
checks = 0


def expect(cond, what):
    global checks
    checks += 1
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def conn(side, psk, ike, esp):
    me, peer = ("gwA", "gwB") if side == "gwA" else ("gwB", "gwA")
    return Conn(name="gw", local_addrs=addr(me, "wan0"), remote_addrs=addr(peer, "wan0"),
                local_id=f"{me.lower()}@interop.test", remote_id=f"{peer.lower()}@interop.test", psk=psk,
                local_ts=list(LAN[me]), remote_ts=list(LAN[peer]), ike_proposals=ike, esp_proposals=esp,
                dpd_delay=10)


def check_sa_pair(a, b, alg):
    sa_a, sa_b = a.wait_established("gw", "net", timeout=15), b.wait_established("gw", "net", timeout=15)
    expect(sa_a["state"] == sa_b["state"] == "ESTABLISHED", "both IKE SAs ESTABLISHED")
    expect((sa_a["initiator-spi"], sa_a["responder-spi"]) == (sa_b["initiator-spi"], sa_b["responder-spi"]),
           f"IKE SPIs match ({sa_a['initiator-spi']}_i {sa_a['responder-spi']}_r)")
    for sa in (sa_a, sa_b):
        expect((sa["encr-alg"], sa["prf-alg"], sa["dh-group"]) == (alg, "PRF_HMAC_SHA2_256", "CURVE_25519"),
               f"{sa['local-id']}: IKE {sa['encr-alg']}/{sa['prf-alg']}/{sa['dh-group']}")
    ca, cb = installed_children(sa_a, "net"), installed_children(sa_b, "net")
    if not expect(len(ca) == len(cb) == 1, f"one CHILD_SA INSTALLED on each side ({len(ca)}, {len(cb)})"):
        return set()
    ca, cb = ca[0], cb[0]
    expect(ca["state"] == cb["state"] == "INSTALLED" and ca["encr-alg"] == cb["encr-alg"] == alg
           and ca["encap"] == cb["encap"] == "yes",
           f"CHILD_SAs INSTALLED, ESP {ca['encr-alg']} in UDP on both sides")
    expect(ca["spi-in"] == cb["spi-out"] and ca["spi-out"] == cb["spi-in"],
           f"ESP SPIs match (gwA in {ca['spi-in']} out {ca['spi-out']}, gwB in {cb['spi-in']} out {cb['spi-out']})")
    return {ca["spi-in"], ca["spi-out"]}


def run_case(topo, ike, esp, alg):
    psk = secrets.token_hex(16)
    a = StrongSwan(topo, "gwA", [conn("gwA", psk, ike, esp)])
    b = StrongSwan(topo, "gwB", [conn("gwB", psk, ike, esp)])
    result = {}
    with a, b:
        for gw in (a, b):
            gw.load_conns()
            mode = os.stat(os.path.join(gw.dir, "swanctl", "secrets.conf")).st_mode & 0o777
            expect(mode == 0o600, f"{gw.ns}: PSK file mode {mode:o}")
        with capture(topo, "gwA", "wan0") as pcap:
            t0 = time.monotonic()
            r = a.initiate("net", timeout=15, check=False)
            expect(r.returncode == 0, f"gwA initiates {ike} / {esp} ({time.monotonic() - t0:.2f} s)"
                   + ("" if r.returncode == 0 else f": {r.stdout[-600:]}"))
            spis = check_sa_pair(a, b, alg)
            for src, dst in (("hostA", "hostB"), ("hostB", "hostA")):
                for fam in (4, 6):
                    loss = ping(topo, src, addr(dst, "eth0", fam), count=10, interval=0.05)
                    expect(loss == 0, f"IPv{fam} ping {src} -> {dst} through the tunnel: {loss}% loss")
            child = installed_children(a.list_sas()["gw"], "net")[0]
            expect(int(child["packets-in"]) >= 40 and int(child["packets-out"]) >= 40,
                   f"gwA CHILD_SA counters: {child['packets-in']} packets in, {child['packets-out']} out")
            new_spis = rekey_child(a, b, spis)
            for fam in (4, 6):
                loss = ping(topo, "hostA", addr("hostB", "eth0", fam), count=5, interval=0.05)
                expect(loss == 0, f"IPv{fam} ping hostA -> hostB after the CHILD_SA rekey: {loss}% loss")
        counts, others = classify(pcap, GW_OUTER)
        expect(counts["ike"] >= 2 and counts["ike4500"] >= 4 and counts["esp_udp"] >= 100 and counts["other"] == 0,
               f"gwA internet capture: only IKE and ESP-in-UDP/4500 between the gateways {counts} {others}")
        wire_spis = esp_spis(pcap)
        expect(wire_spis == spis | new_spis,
               f"ESP SPIs on the wire {sorted(wire_spis)} are the CHILD_SAs' before and after the rekey")
        try:
            gbps = iperf3(topo, "hostA", "hostB", addr("hostB", "eth0"), seconds=3)
            expect(gbps > 0.01, f"iperf3 TCP 3 s hostA -> hostB: {gbps:.2f} Gbit/s")
            result["gbps"] = gbps
        except RuntimeError as e:
            expect(False, f"iperf3: {e}")
        a.terminate(ike="gw", timeout=10)
        gone = _wait(lambda: not a.list_sas() and not b.list_sas(), 10)
        expect(gone, "terminate on gwA removes the IKE SA on both sides")
        expect(ping(topo, "hostA", addr("hostB", "eth0"), count=2, interval=0.2, deadline=2) == 100.0,
               "no traffic passes after terminate")
        for gw in (a, b):
            expect(gw.stop() == 0, f"{gw.ns}: charon stops with exit 0 on SIGTERM")
            out = gw.output()
            expect(psk not in out and psk.encode().hex() not in out, f"{gw.ns}: the PSK is in no log")
    return result


def rekey_child(a, b, old_spis):
    """gwA rekeys the CHILD_SA (CREATE_CHILD_SA, RFC 7296 1.3.3); returns the new SPI pair."""
    a.rekey(child="net")
    new = set()

    def rekeyed():
        ca = installed_children(a.list_sas().get("gw", {}), "net")
        cb = installed_children(b.list_sas().get("gw", {}), "net")
        if len(ca) != 1 or len(cb) != 1 or {ca[0]["spi-in"], ca[0]["spi-out"]} & old_spis:
            return False
        new.update((ca[0]["spi-in"], ca[0]["spi-out"]))
        return ca[0]["spi-in"] == cb[0]["spi-out"] and ca[0]["spi-out"] == cb[0]["spi-in"]
    expect(_wait(rekeyed, 10), f"CHILD_SA rekeyed: one new SPI pair {sorted(new)} on both sides, old ones gone")
    return new


def run_wrong_psk(topo):
    ike, esp, _ = CASES[0]
    a = StrongSwan(topo, "gwA", [conn("gwA", secrets.token_hex(16), ike, esp)], retransmit_tries=2)
    b = StrongSwan(topo, "gwB", [conn("gwB", secrets.token_hex(16), ike, esp)], retransmit_tries=2)
    with a, b:
        a.load_conns()
        b.load_conns()
        r = a.initiate("net", timeout=15, check=False)
        expect(r.returncode != 0, f"wrong PSK: initiation fails (swanctl exit {r.returncode})")
        time.sleep(0.5)
        expect(not any(sa.get("state") == "ESTABLISHED" for gw in (a, b) for sa in gw.list_sas().values()),
               "wrong PSK: no IKE SA on either side")
        expect(_wait(lambda: "received AUTHENTICATION_FAILED notify error" in a.log(), 5),
               "wrong PSK: gwA's charon log shows the AUTHENTICATION_FAILED notify")
        expect(_wait(lambda: "N(AUTH_FAILED)" in b.log(), 5), "wrong PSK: gwB sent N(AUTH_FAILED)")
        expect(ping(topo, "hostA", addr("hostB", "eth0"), count=2, interval=0.2, deadline=2) == 100.0,
               "wrong PSK: no traffic passes")


def _wait(pred, timeout):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() >= end:
            return False
        time.sleep(0.2)
    return True


def dump_logs(topo):
    for root, _, files in os.walk(topo.workdir):
        if "charon.log" in files:
            with open(os.path.join(root, "charon.log"), errors="replace") as f:
                print(f"--- {os.path.basename(root)}/charon.log (tail) ---\n{f.read()[-3000:]}")


def main():
    t0 = time.monotonic()
    results = {}
    try:
        with topology() as topo:
            try:
                for ike, esp, alg in CASES:
                    print(f"--- {ike} / {esp}", flush=True)
                    results[esp] = run_case(topo, ike, esp, alg)
                print("--- wrong PSK", flush=True)
                run_wrong_psk(topo)
            except Exception as e:  # report, dump the logs, then the topology cleans up
                expect(False, f"harness error: {type(e).__name__}: {e}")
            if failures:
                dump_logs(topo)
    except (Exception, KeyboardInterrupt, SystemExit) as e:  # SIGTERM/SIGHUP arrive as SystemExit
        expect(False, f"topology error or interrupted: {type(e).__name__}: {e}")
    rates = ", ".join(f"{k} {v['gbps']:.2f} Gbit/s" for k, v in results.items() if "gbps" in v)
    print(f"strongswan pair: {checks - len(failures)}/{checks} checks passed, IPv4+IPv6, {rates}, "
          f"{time.monotonic() - t0:.1f} s" + (f"; FAILED: {failures}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
