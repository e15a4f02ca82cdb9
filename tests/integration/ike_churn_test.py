#!/usr/bin/python3
"""SA churn under traffic against strongSwan: ipsecgwd (gwA) and charon (gwB,
kernel-libipsec, NAT-T on 4500) in the netns topology of strongswan/ (shared
parts: ike_gateway.py), with two IKE connections between them:

    hostA --- ipsecgwd(gwA) ===internet=== charon(gwB) --- hostB
              steady: 10.0.1.0/24 <-> 10.0.2.0/28  (hostB 10.0.2.10)
              churn:  10.0.1.0/24 <-> 10.0.2.16/28 (hostB 10.0.2.20)

A ping stream hostA -> 10.0.2.10 (500 per second for --seconds) crosses
`steady` while `churn` is, over and over: CHILD_SA rekeyed (`ipsecgwctl
rekey child churn net`), terminated (`ipsecgwctl terminate churn`) and
initiated again (`ipsecgwctl initiate churn`), with 5 pings through it
after each initiate; 100 pings per second go to 10.0.2.20 while the churn
lasts, so that churn's SAs are retired while the workers use them. Each step is waited for on both sides (strongSwan's
`swanctl --list-sas`, ipsecgwd's `list-sas`). Checks (DESIGN.md: SAs
change while traffic flows, no loss on unrelated SAs):
  - no ping of the steady stream lost beyond what gwB's kernel dropped at
    strongSwan's full ESP-in-UDP socket (RcvbufErrors, counted and shown;
    ike_gateway.py's PeerReceiveBuffer makes that rare); no drop on the
    steady CHILD_SA's two SAs, which keep their SPIs on both sides;
  - at least 5 cycles (4 CHILD_SA installs/removals each), every step
    seen on both sides with matching SPIs, churn's pings pass each time;
  - ipsecgwd logs exactly those CHILD_SAs up and down and nothing of
    steady's; no install or remove failure;
  - table_sync (ipsecgwctl stats): states published and freed, SA slots
    reclaimed at least twice the churn CHILD_SAs removed (an inbound and
    an outbound SA each), and nothing waiting for a grace period once idle;
  - the daemon ran with the asked number of workers; SIGTERM stops it with
    exit 0, no DPDK runtime files left, every mbuf back in its pool.

Usage: ike_churn_test.py PATH/TO/ipsecgwd PATH/TO/ipsecgwctl [--lcores MAP] [--qpairs N] [--seconds S]
  --lcores 0@0,1@1,2@1 --qpairs 3: two workers sharing CPU 1, three queue
  pairs per port (one per worker, one for the control core's TX).
Exits 1 on any failure and prints one result line.
"""
import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipsecgwd_process  # noqa: E402
from ike_gateway import (CHECKS, GwConn, Ipsecgwd, PeerReceiveBuffer, expect, info, ping,  # noqa: E402
                         report_failure_context, run_case, strongswan_conn, udp_drops, wait)
from strongswan.harness import StrongSwan, installed_children  # noqa: E402

STEADY, CHURN = "steady", "churn"
# One hostB address per tunnel, each in a /28 of its own. kernel-libipsec
# routes a TS only with a gwB address inside it, hence .17 on gwB (as in
# cli_ike_test.py's reload case).
HOST = {STEADY: "10.0.2.10", CHURN: "10.0.2.20"}
TS = {STEADY: "10.0.2.0/28", CHURN: "10.0.2.16/28"}
STREAM_INTERVAL = 0.002  # 500 pings per second on steady
CHURN_INTERVAL = 0.01  # 100 per second on churn: its SAs are retired while the workers use them
MIN_CYCLES = 5


class PingStream:
    """ping hostA -> dst every `interval` s for `seconds`, in the background, every reply
    on its own line with its time (-D) in a file (a pipe read only at the end would stall ping)."""

    def __init__(self, topo, dst, seconds, interval, tag):
        self.topo, self.count = topo, int(seconds / interval)
        self.out_path = os.path.join(topo.workdir, f"{tag}-ping.txt")
        with open(self.out_path, "w") as out:
            # Exactly `count` requests, each given 2 s for its reply (no -w: with
            # it ping sends more until `count` replies came).
            self.proc = topo.popen("hostA", ["ping", "-n", "-D", "-i", str(interval), "-c", str(self.count),
                                             "-W", "2", dst],
                                   stdout=out, stderr=subprocess.STDOUT)
        self.wall0, self.t0 = time.time(), time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.t0

    def running(self):
        return self.proc.poll() is None

    def result(self, timeout, stop=False):
        """(sent, received, [(first lost seq, last lost seq, s into the stream)], ping's summary, seconds);
        `stop`: ends the stream now (SIGINT: ping prints its summary)."""
        try:
            if stop and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)  # `ip netns exec` execs ping in place
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # A stream that lost its replies slows down; cut it short and
            # count what it sent (the loss check reports it).
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=10)
        with open(self.out_path, errors="replace") as f:
            out = f.read()
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        sent, received = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        seconds = float(m2.group(1)) / 1000 if (m2 := re.search(r"time (\d+)ms", out)) else 0.0
        replies = {int(r.group(2)): float(r.group(1)) for r in re.finditer(r"^\[(\d+\.\d+)\].*icmp_seq=(\d+) ", out, re.M)}
        spans = []
        for q in sorted(set(range(1, sent + 1)) - set(replies)):
            if spans and q == spans[-1][1] + 1:
                spans[-1][1] = q
                continue
            # When it left: at the reply before it.
            before = max((replies[k] for k in range(q - 1, max(0, q - 500), -1) if k in replies), default=None)
            spans.append([q, q, round(before - self.wall0, 2) if before else None])
        summary = ([ln for ln in out.strip().splitlines() if "packet" in ln][-1:] or ["(no ping output)"])[0]
        return sent, received, [tuple(s) for s in spans], summary, seconds


def sw_child(gwb, conn):
    """(spi-in, spi-out) of strongSwan's one INSTALLED CHILD_SA of `conn`, or None."""
    ch = installed_children(gwb.list_sas().get(conn, {}), "net")
    return (int(ch[0]["spi-in"], 16), int(ch[0]["spi-out"], 16)) if len(ch) == 1 else None


def gw_children(gwa, conn):
    """ipsecgwd's CHILD_SAs of `conn` (list-sas): [(inbound SPI, outbound SPI)], None if it did not answer."""
    rc, sas = gwa.ctl("list-sas")
    if rc != 0 or not isinstance(sas, dict):
        return None
    return [(int(c["inbound_spi"], 16), int(c["outbound_spi"], 16)) for s in sas.get("ike_sas", [])
            if s.get("connection") == conn for c in s.get("child_sas", [])]


def mirrored(gwb, gwa, conn):
    """strongSwan's CHILD_SA of `conn` when ipsecgwd holds exactly its mirror image
    (our inbound = its outbound), else None."""
    sw = sw_child(gwb, conn)
    return sw if sw and gw_children(gwa, conn) == [(sw[1], sw[0])] else None


def live_stats(gwa):
    rc, st = gwa.ctl("stats")
    return st if rc == 0 and isinstance(st, dict) else {}


def sa_counters(stats, direction, spi):
    return next((s for s in stats.get("sas", {}).get(direction, []) if s.get("spi") == spi), {})


class Churn:
    """The cycles on connection `churn`; each step returns whether both sides got there."""

    def __init__(self, gwa, gwb, topo, stream):
        self.gwa, self.gwb, self.topo, self.stream = gwa, gwb, topo, stream
        self.cycles = self.rekeys = self.installs = self.removals = 0
        self.events = []  # (s into the stream, step)
        self.failed = []
        self.step_s = {"rekey": [], "terminate": [], "initiate": []}

    def _step(self, name, ok, what, t0):
        self.step_s[name].append(time.monotonic() - t0)
        self.events.append((round(self.stream.elapsed(), 2), name))
        if not ok:
            self.failed.append(f"cycle {self.cycles + 1} {name}: {what}")
        return ok

    def rekey(self):
        t0 = time.monotonic()
        old = mirrored(self.gwb, self.gwa, CHURN)
        rc, res = self.gwa.ctl("rekey", "child", CHURN, "net")
        new = rc == 0 and old and wait(lambda: (lambda c: c if c and not set(c) & set(old) else None)(
            mirrored(self.gwb, self.gwa, CHURN)), 15)
        if new:
            self.rekeys += 1
            self.installs += 1
            self.removals += 1
        return self._step("rekey", bool(new), f"exit {rc} {res}; {old} -> {new}", t0)

    def terminate(self):
        t0 = time.monotonic()
        rc, res = self.gwa.ctl("terminate", CHURN)
        gone = rc == 0 and wait(lambda: CHURN not in self.gwb.list_sas() and gw_children(self.gwa, CHURN) == [], 10)
        if gone:
            self.removals += 1
        return self._step("terminate", bool(gone), f"exit {rc} {res}; strongSwan still lists "
                          f"{self.gwb.list_sas().get(CHURN, {}).get('state')}, ipsecgwd "
                          f"{gw_children(self.gwa, CHURN)}", t0)

    def initiate(self):
        t0 = time.monotonic()
        rc, res = self.gwa.ctl("initiate", CHURN)
        up = rc == 0 and wait(lambda: mirrored(self.gwb, self.gwa, CHURN), 15)
        if up:
            self.installs += 1
        ok = self._step("initiate", bool(up), f"exit {rc} {res}; strongSwan {sw_child(self.gwb, CHURN)}, "
                        f"ipsecgwd {gw_children(self.gwa, CHURN)}", t0)
        if ok:
            # A short check that the new CHILD_SA carries traffic at once.
            loss = ping(self.topo, "hostA", HOST[CHURN], count=5, interval=0.05)
            if loss != 0:
                # What the gateway saw, and whether it lasts.
                st = live_stats(self.gwa)
                again = ping(self.topo, "hostA", HOST[CHURN], count=5, interval=0.05)
                st2 = live_stats(self.gwa)
                self.failed.append(f"cycle {self.cycles + 1}: ping through the new {CHURN} CHILD_SA {up}: "
                                   f"{loss}% loss (5 more pings: {again}% loss); ipsecgwd then: drops "
                                   f"{ {k: v for k, v in st.get('drops', {}).items() if v} }, worker "
                                   f"{st.get('worker')}, workers {st.get('workers')}, ports {st.get('ports')}, SAs "
                                   f"{st.get('sas')}; after the 5 more: workers {st2.get('workers')}, SAs "
                                   f"{st2.get('sas')}; hostA's neighbours: "
                                   f"{self.topo.ex('hostA', ['ip', 'neigh'], check=False).stdout.strip()}")
                ok = False
        return ok

    def cycle(self):
        ok = self.rekey() and self.terminate() and self.initiate()
        if ok:
            self.cycles += 1
        return ok


# The kernel interfaces the steady stream crosses besides ipsecgwd's; their
# drop counters place a lost ping (gwB's ipsec0 is kernel-libipsec's TUN).
LINKS = (("hostA", "eth0"), ("gwB", "wan0"), ("gwB", "ipsec0"), ("gwB", "lan0"), ("hostB", "eth0"))


def link_drops(topo):
    """{"ns/dev": (rx dropped, tx dropped)} of LINKS (ip -s -j link)."""
    out = {}
    for ns, dev in LINKS:
        r = topo.ex(ns, ["ip", "-s", "-j", "link", "show", "dev", dev], check=False)
        try:
            st = json.loads(r.stdout)[0]["stats64"]
            out[f"{ns}/{dev}"] = (st["rx"]["dropped"], st["tx"]["dropped"])
        except (ValueError, IndexError, KeyError):
            out[f"{ns}/{dev}"] = None
    return out


def check_workers(gwa, lcores):
    """ipsecgwd ran in the shape asked for: one worker per EAL lcore after the main one (its start line says)."""
    n = len((lcores or ipsecgwd_process.DEFAULT_LCORES).split(",")) - 1
    want = "single-lcore" if n == 0 else f"{n} worker lcore" + ("s" if n > 1 else "")
    line = next((ln for ln in gwa.log().splitlines() if "running:" in ln), "")
    expect(line.rstrip().endswith(want), f"ipsecgwd ran with {want}: {line.strip()}")


def child_lines(log, conn):
    """ipsecgwd's CHILD_SA log lines of `conn`: (up, up replacing another, down, failures)."""
    ups = re.findall(rf"CHILD_SA {conn}/net\[\d+\] up: .*", log)
    return (len(ups), sum(1 for u in ups if ", replaces 0x" in u),
            len(re.findall(rf"CHILD_SA {conn}/net\[\d+\] down: ", log)),
            re.findall(rf"CHILD_SA {conn}/net\[\d+\] (?:not installed|down, nothing to remove): .*", log))


def run(topo, daemon, ctl_exe, lcores, port_args, seconds):
    psks = {n: secrets.token_hex(16) for n in (STEADY, CHURN)}
    ids = {n: f"{n}@interop.test" for n in (STEADY, CHURN)}
    topo.ex("hostB", ["ip", "addr", "add", HOST[CHURN] + "/24", "dev", "eth0"])
    topo.ex("gwB", ["ip", "addr", "add", "10.0.2.17/24", "dev", "lan0"])
    gwb = StrongSwan(topo, "gwB", [strongswan_conn(psks[n], "aes128gcm16-prfsha256-x25519", "aes128gcm16",
                                                   name=n, local_ts=[TS[n]], remote_id=ids[n])
                                   for n in (STEADY, CHURN)], retransmit_tries=3)
    gwa = None
    since = len(CHECKS.failures)
    try:
        gwb.start()
        gwb.load_conns()
        gwa = Ipsecgwd(topo, daemon, "churn", [GwConn(n, psks[n], local_id=ids[n], remote_ts=[TS[n]])
                                               for n in (STEADY, CHURN)],
                       ctl_exe=ctl_exe, lcores=lcores, port_args=port_args)
        gwa.__enter__()
        check_workers(gwa, lcores)
        for n in (STEADY, CHURN):
            gwb.wait_established(n, "net", timeout=20)
            # Neighbours on every hop first (ARP through a sanitizer build can
            # take a while); then the tunnel must carry every ping.
            warm = wait(lambda: ping(topo, "hostA", HOST[n], count=1) == 0, 10, step=0)
            loss = ping(topo, "hostA", HOST[n])
            expect(loss == 0, f"{n} up: ping hostA -> {HOST[n]} through it ({loss}% loss; a first reply "
                   f"{'came' if warm else 'never came'})")
        steady = wait(lambda: mirrored(gwb, gwa, STEADY), 5)
        expect(bool(steady), f"{STEADY}: one CHILD_SA, the same SPIs on both sides ({steady})")
        stats0 = live_stats(gwa)
        drops0, links0 = udp_drops(topo, "gwB"), link_drops(topo)

        stream = PingStream(topo, HOST[STEADY], seconds, STREAM_INTERVAL, STEADY)
        background = PingStream(topo, HOST[CHURN], seconds, CHURN_INTERVAL, CHURN)
        churn = Churn(gwa, gwb, topo, stream)
        time.sleep(1)
        # A cycle takes a few seconds; none starts that could outlast the stream.
        while stream.running() and stream.elapsed() < seconds - 6 and churn.cycle():
            pass
        _, _, _, c_summary, _ = background.result(timeout=10, stop=True)
        sent, received, spans, summary, took = stream.result(timeout=seconds + 60)
        socket_drops = udp_drops(topo, "gwB") - drops0
        info(f"{CHURN}'s own stream (not checked: it stops with each terminate): {c_summary}")
        info(f"churn steps (s into the stream, step): {churn.events}")
        info("step durations (s, mean/max): " + ", ".join(
            f"{k} {sum(v) / len(v):.2f}/{max(v):.2f}" for k, v in churn.step_s.items() if v))
        expect(not churn.failed, f"every churn step seen on both sides ({churn.failed})")
        expect(churn.cycles >= MIN_CYCLES, f"{churn.cycles} cycles of rekey, terminate, initiate during the stream "
               f"({churn.installs} CHILD_SAs installed, {churn.removals} removed; at least {MIN_CYCLES} cycles)")
        lost = sent - received
        stats1, links1 = live_stats(gwa), link_drops(topo)
        # Where the stream went through ipsecgwd: requests encrypted on
        # steady's outbound SA, replies decrypted on its inbound one.
        spi_out, spi_in = steady or (0, 0)
        o0, o1 = sa_counters(stats0, "outbound", spi_out), sa_counters(stats1, "outbound", spi_out)
        i0, i1 = sa_counters(stats0, "inbound", spi_in), sa_counters(stats1, "inbound", spi_in)
        out_n, in_n = o1.get("packets", 0) - o0.get("packets", 0), i1.get("packets", 0) - i0.get("packets", 0)
        link_delta = {k: (v[0] - links0[k][0], v[1] - links0[k][1]) for k, v in links1.items()
                      if v and links0.get(k) and v != links0[k]}
        drops = {k: v - stats0.get("drops", {}).get(k, 0) for k, v in stats1.get("drops", {}).items()
                 if v != stats0.get("drops", {}).get(k, 0)}
        missed = {p: c.get("rx_missed") for p, c in stats1.get("ports", {}).items()}
        info(f"ipsecgwd drops during the churn by reason: {drops}; rx_missed per port: {missed}; kernel "
             f"interfaces' (rx, tx) drops: {link_delta or 'none'}")
        if spans:
            near = [(a, b, t, min(churn.events, key=lambda e: abs(e[0] - t)) if churn.events and t else None)
                    for a, b, t in spans[:10]]
            info(f"steady's lost pings (first, last, s into the stream, nearest churn step): {near}; ipsecgwd "
                 f"encrypted {out_n} requests and decrypted {in_n} replies of {sent}")
        expect(sent == stream.count, f"steady stream: {sent} of {stream.count} requests sent in {took:.1f} s (until "
               f"{stream.elapsed():.0f} s into it) "
               f"({summary})")
        # Zero is the goal. A loss gwB's kernel counted at strongSwan's
        # ESP-in-UDP socket (charon behind on two shared CPUs) is strongSwan's,
        # not ipsecgwd's; every other one is a failure.
        expect(sent > 0 and lost <= max(socket_drops, 0),
               f"steady stream: {lost} of {sent} pings lost, at most the {socket_drops} ESP-in-UDP datagrams gwB's "
               f"kernel dropped for strongSwan's full socket buffer"
               + (f"; runs lost (first, last, s into the stream): {spans[:10]}" if spans else ""))

        # Steady's CHILD_SA untouched, on both sides and in ipsecgwd's counters.
        expect(mirrored(gwb, gwa, STEADY) == steady, f"{STEADY} keeps its CHILD_SA {steady} on both sides")
        # churn's traffic may meet no SA (no-policy, unknown-spi) between a
        # terminate and the next initiate; an engine failure is never right
        # (each worker has an engine of its own: one shared by two corrupts
        # its job queue).
        expect(drops.get("crypto-error", 0) == 0, f"the crypto engine failed no operation (crypto-error "
               f"{drops.get('crypto-error', 0)})")
        expect(out_n >= sent and in_n >= received and o1.get("drops", 1) == 0 and i1.get("drops", 1) == 0,
               f"{STEADY}'s SAs carried the stream (out {out_n}, in {in_n} packets of {sent} sent, {received} "
               f"received) and dropped nothing (drops {o1.get('drops')}/{i1.get('drops')})")

        # What ipsecgwd logged and counted.
        log = gwa.log()
        c_up, c_rekeyed, c_down, c_fail = child_lines(log, CHURN)
        s_up, _, s_down, s_fail = child_lines(log, STEADY)
        expect(c_up == churn.installs + 1 and c_rekeyed == churn.rekeys and c_down == churn.removals and not c_fail,
               f"ipsecgwd logged {c_up} {CHURN} CHILD_SAs up ({c_rekeyed} replacing one), {c_down} down "
               f"(want {churn.installs + 1}, {churn.rekeys}, {churn.removals}); failures {c_fail}")
        expect(s_up == 1 and s_down == 0 and not s_fail, f"ipsecgwd logged {STEADY} up once and never down "
               f"({s_up} up, {s_down} down, {s_fail})")
        svc0, svc1 = stats0.get("ike", {}).get("service", {}), stats1.get("ike", {}).get("service", {})
        expect(svc1.get("install_failures") == 0 and svc1.get("remove_failures") == 0
               and svc1.get("child_sas_up", 0) - svc0.get("child_sas_up", 0) == churn.installs
               and svc1.get("child_sas_down", 0) - svc0.get("child_sas_down", 0) == churn.removals,
               f"ipsecgwd's IKE service: no install or remove failure, {churn.installs} CHILD_SAs up and "
               f"{churn.removals} down during the churn ({svc0} -> {svc1})")

        ts0, ts1 = stats0.get("table_sync", {}), stats1.get("table_sync", {})
        d = {k: ts1.get(k, 0) - ts0.get(k, 0) for k in ("published", "deferred", "states_freed", "slots_reclaimed")}
        info(f"table_sync before the churn {ts0}, after {ts1}")
        expect(ts1 and d["published"] >= churn.installs + churn.removals and d["states_freed"] > 0
               and d["slots_reclaimed"] >= 2 * churn.removals,
               f"table_sync during the churn: {d['published']} states published, {d['states_freed']} freed, "
               f"{d['slots_reclaimed']} SA slots reclaimed (at least 2 x {churn.removals} {CHURN} CHILD_SAs "
               f"removed), {d['deferred']} deferred")
        idle = wait(lambda: live_stats(gwa).get("table_sync", {}).get("waiting_for_grace") == 0, 5)
        expect(bool(idle), f"table_sync: nothing waits for a grace period once idle (waiting_for_grace "
               f"{live_stats(gwa).get('table_sync', {}).get('waiting_for_grace')})")

        stats = gwa.stop()
        pool = stats.get("mbuf_pool", {})
        start, stop, held = pool.get("avail_at_start"), pool.get("avail_at_stop"), pool.get("held_for_neighbors", 0)
        expect(start is not None and stop is not None and stop + held == start,
               f"mbuf pool free count at stop {stop} (+{held} held for neighbours) equals that at start {start} "
               f"(pool of {pool.get('size')})")
        expect(not any(p in gwa.log() for p in psks.values()) and not any(p in gwb.output() for p in psks.values()),
               "no PSK in either log")
        run.figures = (f"{sent} pings on {STEADY}, {lost} lost ({socket_drops} strongSwan socket drops), "
                       f"{churn.cycles} cycles ({churn.installs} installs, {churn.removals} removals of {CHURN}), "
                       f"table_sync +{d['published']} published +{d['states_freed']} freed "
                       f"+{d['slots_reclaimed']} slots reclaimed")
    finally:
        if gwa:
            gwa.__exit__()
        gwb.stop()
    report_failure_context(topo, gwa, gwb, None, since)


def main():
    ap = argparse.ArgumentParser(description="SA churn under traffic against strongSwan")
    ap.add_argument("daemon")
    ap.add_argument("ctl")
    ap.add_argument("--lcores", help="EAL lcore map (default: ipsecgwd_process's, the control core and one worker)")
    ap.add_argument("--qpairs", type=int, default=1, help="queue pairs per net_af_packet port of ipsecgwd")
    ap.add_argument("--seconds", type=float, default=40, help="length of the steady ping stream")
    args = ap.parse_args()
    port_args = f",qpairs={args.qpairs}" if args.qpairs > 1 else ""
    run.figures = ""

    def body(topo):
        with PeerReceiveBuffer():
            run(topo, os.path.abspath(args.daemon), os.path.abspath(args.ctl), args.lcores, port_args, args.seconds)
    title = "ike churn" + (f" (lcores {args.lcores}, qpairs {args.qpairs})" if args.lcores else "")
    return run_case(title, body, summary=lambda: run.figures)


if __name__ == "__main__":
    sys.exit(main())
