#!/usr/bin/python3
"""IKEv2 certificate authentication: ipsecgwd (gwA) against strongSwan (gwB)
through the harness in strongswan/, as ike_interop_test.py does with PSKs:

    hostA --- ipsecgwd(gwA) ===internet (IKE, ESP-in-UDP/4500)=== charon(gwB) --- hostB

A throw-away PKI is made with the `openssl` command for every run (nothing
secret is committed): a CA both trust, a stranger CA nobody trusts, and one
certificate per gateway with its FQDN in subjectAltName. Auth is RFC 7427
Digital Signature (both announce SIGNATURE_HASH_ALGORITHMS), certificates
are sent because each side sends a CERTREQ for the CA.

Usage: ike_cert_test.py PATH/TO/ipsecgwd CASE
  CASE = rsa | ecdsa | ed25519 | classic
      two phases: ipsecgwd initiates, then strongSwan. Each: IKE_SA and
      CHILD_SA up on both sides, charon logs that it authenticated ipsecgwd
      with the expected signature scheme, ipsecgwd that it sent its
      certificate, and IPv4 pings cross the tunnel both ways.
        rsa:     RSA 2048 both; phase 1 ipsecgwd signs PKCS#1 v1.5 and charon
                 RSASSA-PSS, phase 2 the other way round
        ecdsa:   ipsecgwd ECDSA P-256, charon ECDSA P-384
        ed25519: Ed25519 both (RFC 8420)
        classic: charon with signature_authentication = no (no RFC 7427):
                 ipsecgwd signs ECDSA P-256 with method 9, charon RSA method 1
  CASE = untrusted-ca  the certificate of the initiator comes from the
      stranger CA: refused by the responder (ipsecgwd initiates: charon
      answers N(AUTH_FAILED); charon initiates: ipsecgwd answers
      AUTHENTICATION_FAILED); no CHILD_SA on either side
  CASE = id-mismatch  a valid certificate for an identity the responder did
      not expect (its remote id differs): refused the same way, both roles
Exits 1 on any failure and prints one result line.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ike_gateway as gateway  # noqa: E402  (ipsecgwd as gwA, checks, ping, wait, failure reports)
from strongswan.harness import LAN, PKI_PLUGINS, PLUGINS, Conn, StrongSwan, addr, capture, installed_children  # noqa: E402,E501

IKE, ESP = "aes128gcm16-prfsha256-x25519", "aes128gcm16"
GWA_ID, GWB_ID = "gwa.interop.test", "gwb.interop.test"
KEYGEN = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ed25519": ["-algorithm", "ED25519"],
}
# case -> (ipsecgwd's key, charon's key, charon's name of the scheme it verifies
# ipsecgwd's AUTH with, per phase)
CASES = {
    "rsa": ("rsa", "rsa", ("RSA_EMSA_PKCS1_SHA2_256", "RSA_EMSA_PSS_SHA2_256")),
    "ecdsa": ("p256", "p384", ("ECDSA_WITH_SHA256_DER", "ECDSA_WITH_SHA256_DER")),
    "ed25519": ("ed25519", "ed25519", ("ED25519", "ED25519")),
    # charon with signature_authentication = no: no SIGNATURE_HASH_ALGORITHMS,
    # so the classic methods, ECDSA-256 (9) from ipsecgwd, RSA (1) from charon.
    "classic": ("p256", "rsa", ("ECDSA-256 signature", "ECDSA-256 signature")),
}
NEGATIVE = ("untrusted-ca", "id-mismatch")
expect, CHECKS = gateway.expect, gateway.CHECKS


def no_sa(gwb):
    return not any(sa.get("state") == "ESTABLISHED" for sa in gwb.list_sas().values())


class Pki:
    """CAs and gateway certificates made with the openssl command in `workdir`."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "pki")
        os.makedirs(self.dir, exist_ok=True)

    def _openssl(self, *args):
        r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args[:2])}: {r.stderr.strip()[-400:]}")

    def path(self, name):
        return os.path.join(self.dir, name)

    def key(self, name, kind):
        p = self.path(name + ".key")
        self._openssl("genpkey", *KEYGEN[kind], "-out", p)
        os.chmod(p, 0o600)  # ipsecgwd refuses a key file group or others can read
        return p

    def ca(self, name):
        key = self.key(name, "p256")
        self._openssl("req", "-x509", "-new", "-key", key, "-out", self.path(name + ".pem"), "-days", "7", "-subj",
                      f"/C=CH/O=ipsecgw interop test/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return name

    def gateway(self, name, kind, ca, fqdn):
        """Certificate `name` for `fqdn` (subjectAltName), issued by CA `ca`."""
        key = self.key(name, kind)
        csr = self.path(name + ".csr")
        self._openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/C=CH/O=ipsecgw interop test/CN={fqdn}")
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write(f"basicConstraints=CA:FALSE\nsubjectAltName=DNS:{fqdn}\n")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.path(ca + ".pem"), "-CAkey", self.path(ca + ".key"),
                      "-CAcreateserial", "-days", "7", "-out", self.path(name + ".pem"), "-extfile", ext)
        return name

    def text(self, name, ext):
        with open(self.path(f"{name}.{ext}")) as f:
            return f.read()


class CertIpsecgwd(gateway.Ipsecgwd):
    """ipsecgwd as gwA with auth = "pubkey": ike_gateway's config with its
    PSK lines replaced by certificate ones."""

    def __init__(self, topo, daemon, pki, cert, remote_id, start_action, tag, rsa_pss=False):
        super().__init__(topo, daemon, tag, [gateway.GwConn(psk="not-used", ike_proposals=IKE, esp_proposals=ESP,
                                                           start_action=start_action)])
        self.use_certificate(GWA_ID, remote_id, pki.path(cert + ".pem"), pki.path(cert + ".key"),
                             [pki.path("trusted-ca.pem")], rsa_pss=rsa_pss)


def strongswan(topo, pki, cert, remote_id, rsa_pss=False, rfc7427=True):
    gwb = StrongSwan(topo, "gwB", [Conn(name="gw", local_addrs=addr("gwB", "wan0"), remote_addrs=addr("gwA", "wan0"),
                                        local_id=GWB_ID, remote_id=remote_id, psk="", local_ts=list(LAN["gwB"]),
                                        remote_ts=list(LAN["gwA"]), ike_proposals=IKE, esp_proposals=ESP,
                                        auth="pubkey", local_cert=cert + ".pem")],
                     retransmit_tries=2, plugins=f"{PLUGINS} {PKI_PLUGINS}",
                     conf_extra=f"  rsa_pss = {'yes' if rsa_pss else 'no'}\n"
                                f"  signature_authentication = {'yes' if rfc7427 else 'no'}\n")
    gwb.add_cert("x509ca", "trusted-ca.pem", pki.text("trusted-ca", "pem"))
    gwb.add_cert("x509", cert + ".pem", pki.text(cert, "pem"))
    gwb.add_cert("private", cert + ".key", pki.text(cert, "key"))
    return gwb


def run_phase(topo, daemon, pki, case, initiator):
    ours, theirs, schemes = CASES[case]
    phase = 0 if initiator == "ipsecgwd" else 1
    # rsa: PKCS#1 v1.5 from ipsecgwd and PSS from charon first, then swapped.
    gwa_pss, gwb_pss = (case == "rsa" and phase == 1), (case == "rsa" and phase == 0)
    print(f"--- {case}: {initiator} initiates (ipsecgwd {ours}{' PSS' if gwa_pss else ''}, "
          f"charon {theirs}{' PSS' if gwb_pss else ''})", flush=True)
    since = len(CHECKS.failures)
    gwa = gwb = None
    with capture(topo, "gwB", "wan0") as pcap:
        gwb = strongswan(topo, pki, f"gwb-{theirs}", GWA_ID, rsa_pss=gwb_pss, rfc7427=case != "classic")
        with gwb:
            gwb.load_conns()
            gwa = CertIpsecgwd(topo, daemon, pki, f"gwa-{ours}", GWB_ID, "start" if phase == 0 else "none",
                               f"{case}-{initiator}", rsa_pss=gwa_pss)
            with gwa:
                if initiator == "strongswan":
                    r = gwb.initiate("net", timeout=20, check=False)
                    expect(r.returncode == 0, "strongSwan initiates" + ("" if r.returncode == 0 else f": {r.stdout[-600:]}"))
                try:
                    sa = gwb.wait_established("gw", "net", timeout=20)
                except Exception as e:  # noqa: BLE001 - the harness raises on timeout
                    expect(False, f"strongSwan lists IKE_SA gw ESTABLISHED with CHILD_SA net ({e})")
                    sa = None
                if sa:
                    expect(len(installed_children(sa, "net")) == 1, "strongSwan: one CHILD_SA net INSTALLED")
                    expect(sa.get("remote-id") == GWA_ID and sa.get("local-id") == GWB_ID,
                           f"strongSwan: identities {sa.get('local-id')} <-> {sa.get('remote-id')}")
                    log = gwb.log()
                    m = re.search(rf"authentication of '{re.escape(GWA_ID)}' with (.+?) successful", log)
                    expect(m is not None and m.group(1).startswith(schemes[phase]),
                           f"charon verified ipsecgwd's signature with {schemes[phase]} "
                           f"({m.group(0) if m else 'no such log line'})")
                    expect(f"received end entity cert \"C=CH, O=ipsecgw interop test, CN={GWA_ID}\"" in log,
                           "charon received ipsecgwd's certificate in a CERT payload")
                    mine = re.search(rf"authentication of '{re.escape(GWB_ID)}' \(myself\) with (.+?) successful", log)
                    expect(mine is not None, f"charon signed its AUTH ({mine.group(0) if mine else 'no such log line'}), "
                           "which ipsecgwd verified")
                    expect(gateway.wait(lambda: re.search(r"CHILD_SA gw/net\[\d+\] up", gwa.log()), 5) is not None,
                           "ipsecgwd logs the CHILD_SA up")
                    for src, dst in (("hostA", "hostB"), ("hostB", "hostA")):
                        gateway.ping(topo, src, addr(dst, "eth0"), count=2, interval=0.2)
                        loss = gateway.ping(topo, src, addr(dst, "eth0"), count=10, interval=0.05)
                        expect(loss == 0, f"IPv4 ping {src} -> {dst} through the tunnel: {loss}% loss")
                stats = gwa.stop()
                counters = stats.get("ike", {}).get("engine", {})
                expect(counters.get("cert-sent", 0) == 1, f"ipsecgwd counted its certificate sent ({counters.get('cert-sent')})")
    gateway.report_failure_context(topo, gwa, gwb, pcap, since)


def run_negative(topo, daemon, pki, case):
    for initiator in ("ipsecgwd", "strongswan"):
        print(f"--- {case}: {initiator} initiates", flush=True)
        since = len(CHECKS.failures)
        gwa_cert, gwb_cert, gwa_remote, gwb_remote = "gwa-p256", "gwb-p256", GWB_ID, GWA_ID
        if case == "untrusted-ca":
            # The initiator's certificate comes from the CA nobody trusts.
            if initiator == "ipsecgwd":
                gwa_cert = "gwa-stranger"
            else:
                gwb_cert = "gwb-stranger"
        else:
            # A valid certificate, but the responder expects someone else.
            if initiator == "ipsecgwd":
                gwb_remote = "someone-else.interop.test"
            else:
                gwa_remote = "someone-else.interop.test"
        gwa = gwb = None
        with capture(topo, "gwB", "wan0") as pcap:
            gwb = strongswan(topo, pki, gwb_cert, gwb_remote)
            with gwb:
                gwb.load_conns()
                gwa = CertIpsecgwd(topo, daemon, pki, gwa_cert, gwa_remote, "start" if initiator == "ipsecgwd" else "none",
                                   f"{case}-{initiator}")
                with gwa:
                    log = gwb.log
                    if initiator == "strongswan":
                        r = gwb.initiate("net", timeout=15, check=False)
                        expect(r.returncode != 0, f"{case}: strongSwan's initiation fails (exit {r.returncode})")
                        expect(gateway.wait(lambda: "received AUTHENTICATION_FAILED notify error" in log(), 10),
                               f"{case}: charon logs the AUTHENTICATION_FAILED notify from ipsecgwd")
                    else:
                        expect(gateway.wait(lambda: "N(AUTH_FAILED)" in log(), 15),
                               f"{case}: charon answers ipsecgwd's IKE_AUTH with N(AUTH_FAILED)")
                        why = ("no trusted ECDSA public key found" if case == "untrusted-ca"
                               else "no matching peer config found")
                        expect(why in log() or "constraint check failed" in log(),
                               f"{case}: charon says why ({why})")
                    if initiator == "ipsecgwd":  # a refused responder SA was never up: no event
                        expect(gateway.wait(lambda: re.search(r"IKE_SA gw\[\d+\] down: AUTHENTICATION_FAILED",
                                                              gwa.log()), 10) is not None,
                               f"{case}: ipsecgwd logs the IKE_SA down with AUTHENTICATION_FAILED")
                    time.sleep(0.5)
                    expect(no_sa(gwb) and not re.search(r"CHILD_SA gw/net\[\d+\] up", gwa.log())
                           and not re.search(r"IKE_SA gw\[\d+\] established", gwa.log()),
                           f"{case}: no IKE SA and no CHILD_SA on either side")
                    stats = gwa.stop()
                    counters = stats.get("ike", {}).get("engine", {})
                    if initiator == "strongswan":
                        want = "cert-untrusted" if case == "untrusted-ca" else "id-mismatch"
                        expect(counters.get(want, 0) >= 1, f"{case}: ipsecgwd counted {want} ({counters.get(want)})")
        gateway.report_failure_context(topo, gwa, gwb, pcap, since)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in list(CASES) + list(NEGATIVE):
        print(__doc__)
        return 2
    daemon, case = os.path.abspath(sys.argv[1]), sys.argv[2]

    def body(topo):
        pki = Pki(topo.workdir)
        pki.ca("trusted-ca")
        pki.ca("stranger-ca")
        if case in CASES:
            ours, theirs, _ = CASES[case]
            pki.gateway(f"gwa-{ours}", ours, "trusted-ca", GWA_ID)
            pki.gateway(f"gwb-{theirs}", theirs, "trusted-ca", GWB_ID)
            for initiator in ("ipsecgwd", "strongswan"):
                run_phase(topo, daemon, pki, case, initiator)
        else:
            pki.gateway("gwa-p256", "p256", "trusted-ca", GWA_ID)
            pki.gateway("gwb-p256", "p256", "trusted-ca", GWB_ID)
            pki.gateway("gwa-stranger", "p256", "stranger-ca", GWA_ID)
            pki.gateway("gwb-stranger", "p256", "stranger-ca", GWB_ID)
            run_negative(topo, daemon, pki, case)
    return gateway.run_case(f"ike cert {case}", body)


if __name__ == "__main__":
    sys.exit(main())
