#!/usr/bin/python3
"""ipsecgwctl against two running ipsecgwd gateways with manually keyed SAs
(topology and helpers in netns_gateways.py). Checks:
  - status, list-sas, stats, list-policies, list-routes, list-conns in table
    and --json form, against the configuration (ports, SPIs, names, routes)
    and against traffic (SA counters move with a ping); no key in any output;
  - exit codes: 1 for a refused command (initiate without IKE), 2 for usage,
    3 when nothing listens; the state-changing attempt is logged with the uid;
  - hostile clients on the raw socket: malformed JSON, wrong version, unknown
    command (an error, the connection goes on), an oversized frame (an error,
    then closed), a client that never reads, one that sends half a frame and
    stalls, 200 concurrent clients (all answered);
  - a non-root user without the group is refused: by the socket's mode
    (connect fails, exit 3) and, with the mode loosened by hand, by the
    daemon's SO_PEERCRED check (exit 1); a member of --control-group is served;
  - meanwhile a ping stream hostA -> hostB through the tunnel loses nothing;
  - the socket file is gone after SIGTERM.
Usage: cli_test.py PATH/TO/ipsecgwd PATH/TO/ipsecgwctl
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_client import check_hostile, check_refused_user, ctl, ctl_json  # noqa: E402
from netns_gateways import (NS, failures, expect, nsx, build_topology, teardown, make_keys, config,  # noqa: E402
                            start, stop, wait_for_gateway, ping_loss, print_logs_on_failure)

TRANSFORM = "aes128gcm16"


def check_commands(ctl_exe, sock, keys):
    rc, st, _ = ctl_json(ctl_exe, sock, "status")
    expect(rc == 0 and st is not None, f"status --json: exit {rc}")
    st = st or {}
    ports = {p["name"]: p for p in st.get("ports", [])}
    expect(set(ports) == {"lan", "wan"} and ports["lan"]["role"] == "protected"
           and ports["wan"]["role"] == "unprotected" and ports["lan"]["ipv4"] == "10.0.1.1/24"
           and ports["lan"]["ipv6"] == "fd00:1::1/64" and ports["wan"]["mtu"] == 1500,
           f"status: ports with roles, addresses and MTU ({ports})")
    expect(st.get("crypto_engine") == "ipsec-mb" and st.get("crypto_arch") and st.get("lcores") == 2
           and st.get("worker_mode") == "1 worker lcore"
           and st.get("outbound_sas") == 2 and st.get("inbound_sas") == 2 and st.get("version"),
           f"status: engine {st.get('crypto_engine')} ({st.get('crypto_arch')}), lcores, SA counts, version")
    rc, out, _ = ctl(ctl_exe, sock, "status")
    expect(rc == 0 and "crypto_engine" in out and "192.0.2.1/24" in out and "unprotected" in out,
           "status table names the engine and the ports")

    rc, sas, _ = ctl_json(ctl_exe, sock, "list-sas")
    manual = {(s["direction"], s["spi"]): s for s in (sas or {}).get("manual_sas", [])}
    want = {("outbound", 0x4120), ("inbound", 0x4210), ("outbound", 0x6120), ("inbound", 0x6210)}
    expect(rc == 0 and set(manual) == want, f"list-sas --json: the four manual SAs by SPI ({sorted(manual)})")
    v4out, v4in = manual.get(("outbound", 0x4120), {}), manual.get(("inbound", 0x4210), {})
    expect(v4out.get("packets", 0) >= 10 and v4in.get("packets", 0) >= 10 and v4out.get("transform") == TRANSFORM
           and v4out.get("name") == "outbound-v4" and v4out.get("last_sequence", 0) >= 10
           and v4in.get("replay", {}).get("window") == 128 and v4in.get("replay", {}).get("highest", 0) >= 10,
           f"list-sas: counters, sequence and replay window follow the ping (out {v4out.get('packets')} pkts seq "
           f"{v4out.get('last_sequence')}, in {v4in.get('packets')} pkts replay {v4in.get('replay')})")
    expect((sas or {}).get("ike_sas") == [], "list-sas: no IKE SAs on a manually keyed gateway")
    rc, out, _ = ctl(ctl_exe, sock, "list-sas")
    expect(rc == 0 and "0x00004120" in out and "outbound-v4" in out and "Manually keyed SAs: 4" in out,
           "list-sas table shows SPIs and names")
    alltext = json.dumps(sas) + out
    expect(not any(k.hex() in alltext.lower() for k in keys.values()), "list-sas output holds no key")

    rc, stats, _ = ctl_json(ctl_exe, sock, "stats")
    stats = stats or {}
    expect(rc == 0 and set(stats) >= {"ports", "drops", "worker", "mbuf_pool", "sas"}
           and stats["worker"]["rx_packets"] > 0 and "avail_now" in stats["mbuf_pool"]
           and any(s["packets"] > 0 for s in stats["sas"]["outbound"]),
           "stats --json: ports, drops by reason, worker, pool, per-SA counters (the stats file's fields)")
    rc, out, _ = ctl(ctl_exe, sock, "stats")
    expect(rc == 0 and "DROP REASON" in out and "RX PACKETS" in out, "stats table")

    rc, pol, _ = ctl_json(ctl_exe, sock, "list-policies")
    outb = {p["name"]: p for p in (pol or {}).get("outbound", [])}
    inb = (pol or {}).get("inbound", [])
    expect(rc == 0 and set(outb) == {"outbound-v4", "outbound-v6"} and outb["outbound-v4"]["action"] == "protect"
           and outb["outbound-v4"]["sa_spi"] == "0x00004120"
           and outb["outbound-v4"]["selector"]["src"] == "10.0.1.0/24" and len(inb) == 2,
           f"list-policies --json: outbound SPD and inbound checks ({sorted(outb)}, {len(inb)} inbound)")
    rc, out, _ = ctl(ctl_exe, sock, "list-policies")
    expect(rc == 0 and "10.0.1.0/24 -> 10.0.2.0/24" in out, "list-policies table")

    rc, routes, _ = ctl_json(ctl_exe, sock, "list-routes")
    rset = {(r["prefix"], r["port"], r["origin"]) for r in (routes or {}).get("routes", [])}
    expect(rc == 0 and {("10.0.1.0/24", "lan", "connected"), ("fd00:1::/64", "lan", "connected"),
                        ("192.0.2.0/24", "wan", "connected")} <= rset, f"list-routes --json: connected routes ({rset})")
    rc, out, _ = ctl(ctl_exe, sock, "list-routes")
    expect(rc == 0 and "PREFIX" in out and "192.0.2.0/24" in out, "list-routes table")

    rc, conns, _ = ctl_json(ctl_exe, sock, "list-conns")
    expect(rc == 0 and conns == {"connections": []}, "list-conns --json: none configured")

    rc, _, err = ctl(ctl_exe, sock, "initiate", "nothing")
    expect(rc == 1 and "no IKE connections configured" in err, f"initiate without IKE: exit {rc}, {err.strip()}")
    rc, _, err = ctl(ctl_exe, sock, "frobnicate")
    expect(rc == 2 and "unknown command" in err, f"unknown command: exit {rc} (usage)")
    rc, _, err = ctl(ctl_exe, sock, "initiate")
    expect(rc == 2, f"initiate without a connection: exit {rc} (usage)")
    rc, _, err = ctl(ctl_exe, sock + ".nothing", "status")
    expect(rc == 3 and "cannot connect" in err, f"no daemon on the socket: exit {rc}, {err.strip()}")


def check_permissions(ctl_exe, sock, sock_group):
    # Refused by the socket's mode, then (modes loosened by hand) by SO_PEERCRED.
    check_refused_user(ctl_exe, sock, expect)
    st = os.stat(sock_group)
    import grp
    expect(oct(st.st_mode & 0o777) == "0o660" and grp.getgrgid(st.st_gid).gr_name == "nogroup",
           f"--control-group nogroup: socket 0660 root:nogroup ({oct(st.st_mode & 0o777)})")
    dst = os.stat(os.path.dirname(sock_group))
    expect(oct(dst.st_mode & 0o777) == "0o750" and dst.st_gid == st.st_gid, "its directory 0750 root:nogroup")
    rc, out, err = ctl(ctl_exe, sock_group, "--json", "status", user="nogroup")
    expect(rc == 0, f"a member of --control-group is served (exit {rc} {err.strip()})")


CTL = None


def main():
    global CTL
    daemon, CTL = sys.argv[1], sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="ipsecgw-cli-")
    os.chmod(workdir, 0o711)  # nobody may traverse it to reach a socket, nothing more
    keys = make_keys(TRANSFORM)
    socks = {"gwa": os.path.join(workdir, "ctl-a", "gwa.sock"), "gwb": os.path.join(workdir, "ctl-b", "gwb.sock")}
    procs = {}
    ping = None
    try:
        build_topology()
        for side in "ab":
            path = os.path.join(workdir, f"gw{side}.toml")
            with open(path, "w") as f:
                f.write(config(side, keys, TRANSFORM, False))
            os.chmod(path, 0o600)
        procs["gwa"] = start(daemon, "gwa", workdir, ["--control-socket", socks["gwa"]])
        procs["gwb"] = start(daemon, "gwb", workdir, ["--control-socket", socks["gwb"], "--control-group", "nogroup"])
        expect(wait_for_gateway("ha", "10.0.1.1"), "hostA reaches gwA")
        expect(wait_for_gateway("hb", "10.0.2.1"), "hostB reaches gwB")
        ping_loss("ha", "10.0.2.10", 3)
        ping_loss("ha", "fd00:2::10", 3)
        loss = ping_loss("ha", "10.0.2.10", 10)
        expect(loss == 0, f"ping through the tunnel before the CLI tests: {loss}% loss")

        # A ping stream through the tunnel for the whole of the CLI tests.
        ping = subprocess.Popen(["ip", "netns", "exec", NS["ha"], "ping", "-c", "600", "-i", "0.05", "-W", "2",
                                 "10.0.2.10"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t0 = time.monotonic()
        check_commands(CTL, socks["gwa"], keys)
        figures = check_hostile(socks["gwa"], CTL, expect)
        check_permissions(CTL, socks["gwa"], socks["gwb"])
        elapsed = time.monotonic() - t0
        print(f"      CLI tests took {elapsed:.1f} s of the 30 s ping stream; "
              f"200 concurrent clients answered in {figures.get('concurrent_ms', 0):.0f} ms", flush=True)
        out, _ = ping.communicate(timeout=60)
        ping = None
        summary = [ln for ln in out.splitlines() if "packets transmitted" in ln]
        expect(summary and " 0% packet loss" in summary[0] and elapsed < 30,
               f"ping stream through the tunnel during the CLI tests: {summary[0] if summary else out[-200:]}")
        log = open(os.path.join(workdir, "gwa.log")).read()
        expect("cli: uid 0 pid" in log and "initiate {\"connection\":\"nothing\"}" in log,
               "the refused initiate is logged with the caller's uid")
        for ns in ("gwa", "gwb"):
            stats = stop(procs.pop(ns), ns, workdir)
            drops = {k: v for k, v in stats.get("drops", {}).items() if v}
            print(f"      {ns} drops: {drops}")
            expect(not os.path.exists(socks[ns]), f"{ns}: control socket removed at stop")
    except Exception as e:  # report, then clean up
        expect(False, f"harness error: {e!r}")
    finally:
        if ping:
            ping.kill()
        for ns, p in procs.items():
            p.kill()
        teardown()
        print_logs_on_failure(workdir)
    print(f"cli test: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
