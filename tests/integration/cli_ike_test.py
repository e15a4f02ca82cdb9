#!/usr/bin/python3
"""ipsecgwctl's state-changing commands against ipsecgwd with real IKEv2
tunnels to strongSwan 5.9.8 (harness in strongswan/, ipsecgwd as gwA from
ike_gateway.py), each effect checked on both sides:

Usage: cli_ike_test.py PATH/TO/ipsecgwd PATH/TO/ipsecgwctl CASE
  CASE = actions    one tunnel gw/net; `monitor --json` runs throughout.
                    rekey child (by name, then by SPI): new SPIs on both sides,
                    a ping stream through the tunnel loses nothing; rekey ike
                    (by name, then by id): new IKE SPIs on strongSwan's side,
                    same CHILD_SA, no loss; log-level ike warning hides the
                    CHILD_SA lines of the next rekey, info brings them back,
                    cli debug logs every request; terminate: the SA is gone
                    on both sides (swanctl --list-sas), traffic stops;
                    initiate: it is back, pings pass; monitor printed the
                    child/IKE up and down events of each action and the
                    commands with uid 0; every state change logged with uid.
  CASE = reload     tunnels gw1 (hostB 10.0.2.10) and gw2 (10.0.2.20) up; while
                    a ping stream runs through gw1: a config with a syntax
                    error and one that changes a port are refused and change
                    nothing; then gw1 untouched, gw2 changed (child
                    rekey_time), gw3 added (10.0.2.40): reload reports exactly
                    that, gw2 gets new SPIs, gw3 comes up, gw1 keeps its SPIs
                    and its ping stream loses nothing; then gw2 removed: its
                    SA is deleted on strongSwan's side; monitor saw it all.
  CASE = bad-input  while a ping stream crosses the tunnel: malformed JSON, a
                    wrong version, unknown commands, an oversized frame, a
                    client that never reads, one that stalls, 200 concurrent
                    clients, 20 ipsecgwctl at once, bad arguments for rekey,
                    log-level and initiate, a monitor that never reads, and a
                    non-root user without the group: each gets its error or
                    refusal; the stream loses nothing, the SPIs on both sides
                    are the same before and after, the SA's drop counter
                    stays 0.
Exits 1 on any failure and prints one result line.
"""
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_client import check_hostile, check_refused_user, ctl, ctl_json, raw_client, request  # noqa: E402
from ike_gateway import GWA_ID, GWB_ID, GwConn, Ipsecgwd, expect, ping, run_case, wait  # noqa: E402
from strongswan.harness import LAN, Conn, StrongSwan, addr, installed_children  # noqa: E402

CASES = ("actions", "reload", "bad-input")
peers = []  # the StrongSwan instances, for their logs on a failure


class PingStream:
    """`count` echo requests hostA -> dst every `interval` s in the
    background; result() waits for the last reply (2 s each at most) and
    returns (sent, received)."""

    def __init__(self, topo, dst, count, interval=0.02):
        self.proc = topo.popen("hostA", ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-W", "2", dst],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.count = count

    def result(self, timeout=60):
        out, _ = self.proc.communicate(timeout=timeout)
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        return (int(m.group(1)), int(m.group(2))) if m else (self.count, 0)


class Monitor:
    """`ipsecgwctl --json monitor` in the background; events() after stop()."""

    def __init__(self, ctl_exe, sock, workdir, tag):
        self.out_path = os.path.join(workdir, f"monitor-{tag}.jsonl")
        self.err_path = os.path.join(workdir, f"monitor-{tag}.err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([ctl_exe, "--socket", sock, "--json", "monitor"], stdout=out, stderr=err)
        expect(wait(lambda: "monitoring" in self.stderr() or self.proc.poll() is not None, 10)
               and self.proc.poll() is None, f"monitor subscribed ({self.stderr().strip()})")

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def events(self):
        out = []
        with open(self.out_path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    expect(False, f"monitor printed a line that is not JSON: {line[:200]!r}")
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "timeout"
        expect(rc == 0, f"monitor: SIGTERM ends it with exit 0 (got {rc})")
        return self.events()


def sw_conn(name, psk, local_ts=None, remote_ts=None, gwa_id=GWA_ID):
    return Conn(name=name, local_addrs=addr("gwB", "wan0"), remote_addrs=addr("gwA", "wan0"), local_id=GWB_ID,
                remote_id=gwa_id, psk=psk, local_ts=local_ts or list(LAN["gwB"]),
                remote_ts=remote_ts or list(LAN["gwA"]), encap=True)


def sw_spis(gwb, conn, child="net"):
    """(spi-in, spi-out) of strongSwan's one INSTALLED CHILD_SA, or None."""
    ch = installed_children(gwb.list_sas().get(conn, {}), child)
    return (int(ch[0]["spi-in"], 16), int(ch[0]["spi-out"], 16)) if len(ch) == 1 else None


def sw_ike_spis(gwb, conn):
    sa = gwb.list_sas().get(conn, {})
    return (sa.get("initiator-spi"), sa.get("responder-spi")) if sa.get("state") == "ESTABLISHED" else None


def gw_sas(ctl_exe, sock):
    """ipsecgwd's list-sas --json: {connection: [(id, [(child, inbound, outbound)])]}."""
    rc, sas, _ = ctl_json(ctl_exe, sock, "list-sas")
    out = {}
    for s in (sas or {}).get("ike_sas", []):
        out.setdefault(s["connection"], []).append(
            (s["id"], s["state"], [(c["name"], int(c["inbound_spi"], 16), int(c["outbound_spi"], 16))
                                   for c in s["child_sas"]]))
    return out


def new_spis(gwb, conn, old):
    """Waits for strongSwan's CHILD_SA SPIs to differ entirely from `old`."""
    return wait(lambda: (lambda c: c if c and not set(c) & set(old) else None)(sw_spis(gwb, conn)), 15)


def stream_ok(stream, what):
    sent, received = stream.result()
    expect(sent == stream.count and received == sent, f"{what}: ping stream {received}/{sent} replies")


def run_actions(topo, daemon, ctl_exe, sock):
    psk = secrets.token_hex(16)
    gwb = StrongSwan(topo, "gwB", [sw_conn("gw", psk)], retransmit_tries=3)
    peers.append(gwb)
    with gwb:
        gwb.load_conns()
        with Ipsecgwd(topo, daemon, "actions", [GwConn("gw", psk)], socket=sock) as gwa:
            gwb.wait_established("gw", "net", timeout=20)
            spis = sw_spis(gwb, "gw")
            dst = addr("hostB", "eth0")
            ping(topo, "hostA", dst, count=2, interval=0.2)
            expect(ping(topo, "hostA", dst) == 0, "tunnel up: ping hostA -> hostB")
            mon = Monitor(ctl_exe, sock, topo.workdir, "actions")

            # rekey child by name, with a ping stream through the tunnel.
            stream = PingStream(topo, dst, 150)
            time.sleep(0.5)
            rc, res, err = ctl_json(ctl_exe, sock, "rekey", "child", "gw", "net")
            expect(rc == 0 and res == {"sa": "child", "connection": "gw", "child": "net", "rekeying": True},
                   f"rekey child gw net: exit {rc} {res} {err.strip()}")
            spis2 = new_spis(gwb, "gw", spis)
            expect(bool(spis2), f"rekey child: strongSwan's CHILD_SA {spis2} replaces {spis}")
            stream_ok(stream, "rekey child by name")
            mine = gw_sas(ctl_exe, sock).get("gw", [])
            kids = [c for _, st, cs in mine if st == "ESTABLISHED" for c in cs]
            expect(spis2 is not None and kids == [("net", spis2[1], spis2[0])],
                   f"ipsecgwd lists the one new CHILD_SA with the same SPIs ({kids})")

            # rekey child by its inbound SPI (ipsecgwd's, = strongSwan's outbound).
            stream = PingStream(topo, dst, 100)
            rc, out, err = ctl(ctl_exe, sock, "rekey", "child", f"0x{spis2[1]:08x}" if spis2 else "0x0")
            expect(rc == 0 and "requested" in out, f"rekey child 0x{(spis2 or (0, 0))[1]:08x}: exit {rc} {out.strip()}"
                                                   f"{err.strip()}")
            spis3 = new_spis(gwb, "gw", spis2 or spis)
            expect(bool(spis3), f"rekey child by SPI: strongSwan's CHILD_SA {spis3} replaces {spis2}")
            stream_ok(stream, "rekey child by SPI")

            # rekey ike by name, then by id: new IKE SPIs, the CHILD_SA moves along.
            for how in ("name", "id"):
                ike_before = sw_ike_spis(gwb, "gw")
                child_before = sw_spis(gwb, "gw")
                ids = [i for i, st, _ in gw_sas(ctl_exe, sock).get("gw", []) if st == "ESTABLISHED"]
                stream = PingStream(topo, dst, 100)
                arg = "gw" if how == "name" else str(ids[0] if ids else 0)
                rc, res, err = ctl_json(ctl_exe, sock, "rekey", "ike", arg)
                expect(rc == 0 and res.get("rekeying") is True, f"rekey ike {arg}: exit {rc} {res} {err.strip()}")
                ike_after = wait(lambda: (lambda s: s if s and s[0] != ike_before[0] and s[1] != ike_before[1]
                                          else None)(sw_ike_spis(gwb, "gw")), 15)
                expect(bool(ike_after), f"rekey ike by {how}: strongSwan's IKE SA SPIs {ike_after} replace {ike_before}")
                time.sleep(0.5)
                expect(sw_spis(gwb, "gw") == child_before and len(gwb.list_sas()) == 1,
                       f"rekey ike by {how}: the CHILD_SA {child_before} stays, one IKE SA on strongSwan's side")
                stream_ok(stream, f"rekey ike by {how}")
                new_ids = [i for i, st, _ in gw_sas(ctl_exe, sock).get("gw", []) if st == "ESTABLISHED"]
                expect(len(new_ids) == 1 and new_ids != ids, f"ipsecgwd: IKE SA id {ids} -> {new_ids}")

            # log-level: ike warning hides the CHILD_SA lines, info brings them back.
            rc, res, _ = ctl_json(ctl_exe, sock, "log-level")
            expect(rc == 0 and res == {"levels": {"ike": "info", "dp": "info", "cli": "info", "cfg": "info"}},
                   f"log-level shows every subsystem at info ({res})")
            rc, res, _ = ctl_json(ctl_exe, sock, "log-level", "ike", "warning")
            expect(rc == 0 and res["levels"]["ike"] == "warning" and res["levels"]["cli"] == "info",
                   f"log-level ike warning ({res})")
            ups = len(gwa.child_up_lines())
            before = sw_spis(gwb, "gw")
            ctl(ctl_exe, sock, "rekey", "child", "gw", "net")
            after = new_spis(gwb, "gw", before)
            time.sleep(0.5)
            expect(bool(after) and len(gwa.child_up_lines()) == ups,
                   f"at ike warning a rekey ({before} -> {after}) logs no CHILD_SA line ({len(gwa.child_up_lines())})")
            ctl(ctl_exe, sock, "log-level", "ike", "info")
            ctl(ctl_exe, sock, "rekey", "child", "gw", "net")
            after2 = new_spis(gwb, "gw", after or before)
            expect(bool(after2) and wait(lambda: len(gwa.child_up_lines()) == ups + 1, 5),
                   f"back at info the next rekey is logged ({len(gwa.child_up_lines())} CHILD_SA up lines)")
            debug_lines = lambda: len(re.findall(r"debug cli: uid 0 pid \d+: request status", gwa.log()))  # noqa: E731
            expect(debug_lines() == 0, "cli at info: requests are not logged")
            ctl(ctl_exe, sock, "log-level", "cli", "debug")
            ctl(ctl_exe, sock, "status")
            expect(wait(lambda: debug_lines() == 1, 3), f"cli at debug: the status request is logged ({debug_lines()})")
            ctl(ctl_exe, sock, "log-level", "info")
            ctl(ctl_exe, sock, "status")
            time.sleep(0.3)
            expect(debug_lines() == 1, "log-level info (all subsystems): requests are not logged again")
            rc, _, err = ctl(ctl_exe, sock, "log-level", "ike", "chatty")
            expect(rc == 1 and "unknown level" in err, f"log-level ike chatty: exit {rc} ({err.strip()})")

            # terminate: gone on both sides, traffic stops; initiate: back.
            rc, res, err = ctl_json(ctl_exe, sock, "terminate", "gw")
            expect(rc == 0 and res.get("terminated") is True, f"terminate gw: exit {rc} {err.strip()}")
            expect(wait(lambda: not gwb.list_sas(), 10), "terminate: no SA left on strongSwan's side (swanctl --list-sas)")
            expect(wait(lambda: not gw_sas(ctl_exe, sock), 5), "terminate: no SA left on ipsecgwd's side (list-sas)")
            loss = ping(topo, "hostA", dst, count=3, interval=0.2)
            expect(loss == 100.0, f"terminate: no traffic passes ({loss}% loss)")
            rc, res, err = ctl_json(ctl_exe, sock, "initiate", "gw")
            expect(rc == 0 and res.get("initiated") is True, f"initiate gw: exit {rc} {err.strip()}")
            try:
                gwb.wait_established("gw", "net", timeout=15)
                expect(True, "initiate: strongSwan lists the IKE SA ESTABLISHED and the CHILD_SA INSTALLED")
            except TimeoutError as e:
                expect(False, f"initiate: {e}")
            ping(topo, "hostA", dst, count=2, interval=0.2)
            loss = ping(topo, "hostA", dst)
            expect(loss == 0, f"initiate: ping hostA -> hostB passes again ({loss}% loss)")
            final = sw_spis(gwb, "gw")

            events = mon.stop()
            kinds = [e.get("type") for e in events]
            print(f"info  monitor: {len(events)} events: {kinds}", flush=True)
            child_ups = [e for e in events if e.get("type") == "child-up"]
            replaced = [e for e in child_ups if e.get("replaces_spi_in")]
            expect(len(replaced) == 4 and spis2 is not None
                   and replaced[0]["spi_in"] == f"0x{spis2[1]:08x}" and replaced[0]["spi_out"] == f"0x{spis2[0]:08x}"
                   and replaced[0]["replaces_spi_in"] == f"0x{spis[1]:08x}",
                   f"monitor: 4 child-up events of the CHILD_SA rekeys, the first with the SPIs strongSwan lists "
                   f"({[(e['spi_in'], e['replaces_spi_in']) for e in replaced]})")
            expect(sum(1 for e in events if e.get("type") == "ike-up") >= 3
                   and sum(1 for e in events if e.get("type") == "ike-down") >= 3,
                   "monitor: ike-up/ike-down of the two IKE rekeys and of terminate/initiate")
            last_up = child_ups[-1] if child_ups else {}
            expect(final is not None and last_up.get("spi_in") == f"0x{final[1]:08x}"
                   and not last_up.get("replaces_spi_in"),
                   f"monitor: the last child-up is initiate's new CHILD_SA ({last_up})")
            cmds = [(e["command"], e["uid"], e["ok"]) for e in events if e.get("type") == "command"]
            want = [("rekey", 0, True)] * 4 + [("log-level", 0, True), ("rekey", 0, True), ("log-level", 0, True),
                                               ("rekey", 0, True), ("log-level", 0, True), ("log-level", 0, True),
                                               ("log-level", 0, False), ("terminate", 0, True),
                                               ("initiate", 0, True)]
            expect(cmds == want, f"monitor: every state-changing command with uid and outcome ({cmds})")
            expect(not any("keymat" in json.dumps(e) for e in events), "monitor: no key material in any event")
            gwa.stop()
            log = gwa.log()
            logged = re.findall(r"notice cli: uid 0 pid \d+: (\S+) ", log)
            expect(logged == [c for c, _, _ in want], f"ipsecgwd logs each state change with the uid ({logged})")
            expect(psk not in log and psk not in gwb.output(), "the PSK is in no log")


def run_reload(topo, daemon, ctl_exe, sock):
    psks = {n: secrets.token_hex(16) for n in ("gw1", "gw2", "gw3")}
    # One hostB address per tunnel, each in a /28 of its own. kernel-libipsec
    # routes a TS only with a gwB address inside it, hence .17 and .33 on gwB.
    hosts = {"gw1": "10.0.2.10", "gw2": "10.0.2.20", "gw3": "10.0.2.40"}
    ts = {"gw1": "10.0.2.0/28", "gw2": "10.0.2.16/28", "gw3": "10.0.2.32/28"}
    for h in ("10.0.2.20", "10.0.2.40"):
        topo.ex("hostB", ["ip", "addr", "add", h + "/24", "dev", "eth0"])
    for g in ("10.0.2.17", "10.0.2.33"):
        topo.ex("gwB", ["ip", "addr", "add", g + "/24", "dev", "lan0"])
    ids = {n: f"{n}@interop.test" for n in hosts}

    def gw(name, **kw):
        return GwConn(name, psks[name], local_id=ids[name], remote_ts=[ts[name]], **kw)

    sw = [sw_conn(n, psks[n], local_ts=[ts[n]], gwa_id=ids[n]) for n in hosts]
    gwb = StrongSwan(topo, "gwB", sw, retransmit_tries=3)
    peers.append(gwb)
    with gwb:
        gwb.load_conns()
        with Ipsecgwd(topo, daemon, "reload", [gw("gw1"), gw("gw2")], socket=sock) as gwa:
            for n in ("gw1", "gw2"):
                gwb.wait_established(n, "net", timeout=20)
            before = {n: sw_spis(gwb, n) for n in ("gw1", "gw2")}
            for n in ("gw1", "gw2"):
                ping(topo, "hostA", hosts[n], count=2, interval=0.2)
                expect(ping(topo, "hostA", hosts[n]) == 0, f"{n} up: ping hostA -> {hosts[n]} through it")
            mon = Monitor(ctl_exe, sock, topo.workdir, "reload")
            stream = PingStream(topo, hosts["gw1"], 350)
            time.sleep(0.3)

            good = open(gwa.config).read()
            # A broken file and one that changes a port: refused, nothing changes.
            with open(gwa.config, "w") as f:
                f.write(good + "\n[connections.gw9\n")
            rc, _, err = ctl(ctl_exe, sock, "reload")
            expect(rc == 1 and "reload refused, nothing changed: " in err and "gwa.toml:" in err,
                   f"reload of a broken file: exit {rc}, {err.strip()[:200]}")
            gwa.write_config([gw("gw1"), gw("gw2")], wan_mtu=1400)
            rc, out, err = ctl(ctl_exe, sock, "--json", "reload")
            expect(rc == 1 and "only [connections] can change at run time; port changed" in err
                   and json.loads(out or "{}").get("error", "").startswith("reload refused"),
                   f"reload of a file with a changed port: exit {rc}, {err.strip()[:200]}")
            time.sleep(0.5)
            expect({n: sw_spis(gwb, n) for n in ("gw1", "gw2")} == before and sw_spis(gwb, "gw3") is None,
                   "refused reloads changed no SA")

            # gw1 untouched, gw2 changed, gw3 added.
            gwa.write_config([gw("gw1"), gw("gw2", child_rekey_time=1800), gw("gw3")])
            rc, res, err = ctl_json(ctl_exe, sock, "reload")
            expect(rc == 0 and res.get("added") == ["gw3"] and res.get("changed") == ["gw2"]
                   and res.get("removed") == [] and res.get("unchanged") == ["gw1"],
                   f"reload: added gw3, changed gw2, gw1 unchanged ({res} {err.strip()})")
            new2 = new_spis(gwb, "gw2", before["gw2"])
            expect(bool(new2), f"reload: changed gw2 negotiated again, CHILD_SA {new2} replaces {before['gw2']}")
            try:
                gwb.wait_established("gw3", "net", timeout=15)
                expect(True, "reload: added gw3 is established on strongSwan's side")
            except TimeoutError as e:
                expect(False, f"reload: added gw3: {e}")
            stream_ok(stream, "gw1 (untouched) during the reloads")
            expect(sw_spis(gwb, "gw1") == before["gw1"], f"gw1 keeps its CHILD_SA {before['gw1']}")
            for n in ("gw2", "gw3"):
                ping(topo, "hostA", hosts[n], count=2, interval=0.2)
                loss = ping(topo, "hostA", hosts[n])
                expect(loss == 0, f"after reload: ping hostA -> {hosts[n]} through {n}: {loss}% loss")
            rc, conns, _ = ctl_json(ctl_exe, sock, "list-conns")
            names = [c["name"] for c in (conns or {}).get("connections", [])]
            rekeys = {c["name"]: c["children"][0]["rekey_time_s"] for c in (conns or {}).get("connections", [])}
            expect(names == ["gw1", "gw2", "gw3"] and rekeys.get("gw2") == 1800,
                   f"list-conns shows the reloaded connections ({rekeys})")

            # gw2 removed: deleted on strongSwan's side.
            gwa.write_config([gw("gw1"), gw("gw3")])
            rc, res, err = ctl_json(ctl_exe, sock, "reload")
            expect(rc == 0 and res.get("removed") == ["gw2"] and res.get("unchanged") == ["gw1", "gw3"],
                   f"reload: gw2 removed ({res} {err.strip()})")
            expect(wait(lambda: "gw2" not in gwb.list_sas(), 10), "reload: gw2's IKE SA is gone on strongSwan's side")
            rc, out, err = ctl(ctl_exe, sock, "initiate", "gw2")
            expect(rc == 1 and "unknown connection" in err, f"a removed connection cannot be initiated (exit {rc}, {err.strip()})")
            loss = ping(topo, "hostA", hosts["gw1"])
            expect(loss == 0 and sw_spis(gwb, "gw1") == before["gw1"],
                   f"gw1 still untouched after gw2's removal ({loss}% loss)")

            events = mon.stop()
            print(f"info  monitor: {[(e.get('type'), e.get('connection') or e.get('command')) for e in events]}",
                  flush=True)
            by = lambda t, c: [e for e in events if e.get("type") == t and e.get("connection") == c]  # noqa: E731
            expect(len(by("ike-down", "gw2")) == 2 and len(by("ike-up", "gw2")) == 1 and len(by("ike-up", "gw3")) == 1
                   and not by("ike-down", "gw1") and not by("child-down", "gw1") and not by("child-up", "gw1"),
                   "monitor: gw2 down, up and down again, gw3 up, nothing of gw1")
            reloads = [(e["ok"], (e.get("error") or "")[:40]) for e in events if e.get("command") == "reload"]
            expect([ok for ok, _ in reloads] == [False, False, True, True],
                   f"monitor: the four reloads with their outcomes ({reloads})")
            gwa.stop()
            expect(len(re.findall(r"notice cfg: reload of ", gwa.log())) == 2
                   and len(re.findall(r"warning cfg: reload refused, nothing changed", gwa.log())) == 2,
                   "ipsecgwd logs two applied and two refused reloads (subsystem cfg)")
            expect(not any(p in gwa.log() for p in psks.values()), "no PSK in ipsecgwd's log")


def run_bad_input(topo, daemon, ctl_exe, sock):
    psk = secrets.token_hex(16)
    gwb = StrongSwan(topo, "gwB", [sw_conn("gw", psk)], retransmit_tries=3)
    peers.append(gwb)
    with gwb:
        gwb.load_conns()
        with Ipsecgwd(topo, daemon, "bad", [GwConn("gw", psk)], socket=sock) as gwa:
            gwb.wait_established("gw", "net", timeout=20)
            dst = addr("hostB", "eth0")
            ping(topo, "hostA", dst, count=2, interval=0.2)
            spis, mine = sw_spis(gwb, "gw"), gw_sas(ctl_exe, sock)
            _, stats0, _ = ctl_json(ctl_exe, sock, "stats")
            stream = PingStream(topo, dst, 500, interval=0.05)
            t0 = time.monotonic()
            # A subscriber that never reads: it must not hold anything up.
            lazy = raw_client(sock)
            lazy.sendall(request("monitor"))
            figures = check_hostile(sock, ctl_exe, expect)
            for args, want in ((["rekey", "child", "gw", "nothing"], "no such CHILD_SA"),
                               (["rekey", "ike", "999"], "no established IKE SA with id 999"),
                               (["rekey", "child", "0x00000001"], "no CHILD_SA with inbound SPI 0x00000001"),
                               (["initiate", "nothing"], "unknown connection"),
                               (["log-level", "disk", "debug"], "unknown subsystem")):
                rc, _, err = ctl(ctl_exe, sock, *args)
                expect(rc == 1 and want in err, f"{' '.join(args)}: exit {rc}, {err.strip()}")
            for args in (["rekey", "esp", "gw"], ["rekey", "child", "gw"], ["log-level", "a", "b", "c"],
                         ["reload", "now"], ["frobnicate"]):
                rc, _, err = ctl(ctl_exe, sock, *args)
                expect(rc == 2, f"{' '.join(args)}: usage, exit {rc} ({err.strip()[:80]})")
            check_refused_user(ctl_exe, sock, expect)
            elapsed = time.monotonic() - t0
            stream_ok(stream, f"bad input for {elapsed:.0f} s")
            lazy.close()
            expect(sw_spis(gwb, "gw") == spis and gw_sas(ctl_exe, sock) == mine,
                   f"the tunnel is untouched: same SPIs on both sides ({spis})")
            _, stats1, _ = ctl_json(ctl_exe, sock, "stats")
            sa_of = lambda st, d, spi: next((s for s in (st or {}).get("sas", {}).get(d, [])  # noqa: E731
                                             if s.get("spi") == spi), {})
            out0, out1 = sa_of(stats0, "outbound", spis[0]), sa_of(stats1, "outbound", spis[0])
            in0, in1 = sa_of(stats0, "inbound", spis[1]), sa_of(stats1, "inbound", spis[1])
            expect(out1.get("packets", 0) - out0.get("packets", 0) >= 500
                   and in1.get("packets", 0) - in0.get("packets", 0) >= 500
                   and out1.get("drops", 1) == 0 and in1.get("drops", 1) == 0,
                   f"the CHILD_SA counted the stream and no drop (out {out0.get('packets')}->{out1.get('packets')}, "
                   f"in {in0.get('packets')}->{in1.get('packets')}, drops {out1.get('drops')}/{in1.get('drops')})")
            drops = {k: v - stats0["drops"].get(k, 0) for k, v in (stats1 or {}).get("drops", {}).items()
                     if v != stats0["drops"].get(k, 0)}
            print(f"info  drops during the bad input: {drops}; 200 clients answered in "
                  f"{figures.get('concurrent_ms', 0):.0f} ms", flush=True)
            gwa.stop()
            expect(not os.path.exists(sock), "control socket removed at stop")


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        print(__doc__)
        return 2
    daemon, ctl_exe, case = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    run = {"actions": run_actions, "reload": run_reload, "bad-input": run_bad_input}[case]

    def body(topo):
        os.chmod(topo.workdir, 0o711)  # nobody may traverse it to reach the socket, nothing more
        run(topo, daemon, ctl_exe, os.path.join(topo.workdir, "ctl", "gwa.sock"))

    def logs(topo):
        for f in sorted(os.listdir(topo.workdir)):
            p = os.path.join(topo.workdir, f, "gwa.log")
            if os.path.exists(p):
                print(f"--- {p} (tail) ---\n" + open(p, errors="replace").read()[-3000:])
        for gwb in peers:
            lines = [ln for ln in gwb.log().splitlines() if "vici client" not in ln]
            print("--- charon log (tail) ---\n" + "\n".join(lines[-60:]))
    return run_case(f"cli ike {case}", body, on_failure=logs)


if __name__ == "__main__":
    sys.exit(main())
