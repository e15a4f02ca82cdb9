#!/usr/bin/python3
"""Telemetry and Prometheus output of ipsecgwd, read by independent tools,
against two running gateways with manually keyed SAs (netns_gateways.py):
  - DPDK's own client, dpdk-telemetry.py, lists the /ipsecgw/ endpoints and
    reads each of them; their figures equal `ipsecgwctl --json stats` and
    `list-sas` taken right after, with the SA and port counters moved by a
    ping through the tunnel; bad parameters give an "error" field;
  - `ipsecgwctl stats --prometheus` passes `promtool check metrics` (the
    Prometheus project's own linter) and parses with the Python client's
    parser, its samples equal to the JSON stats;
  - telemetry reads never cost a ping through the tunnel.
Usage: telemetry_test.py PATH/TO/ipsecgwd PATH/TO/ipsecgwctl
"""
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_gateways import (SUFFIX, expect, make_keys, start_pair, stop, wait_for_gateway, ping_loss,  # noqa: E402
                            run_test)

TRANSFORM = "aes128gcm16"
ENDPOINTS = ["/ipsecgw/status", "/ipsecgw/ports", "/ipsecgw/workers", "/ipsecgw/drops", "/ipsecgw/sa_list",
             "/ipsecgw/ike", "/ipsecgw/ike_sa_list"]


def telemetry(prefix, *commands):
    """Runs DPDK's dpdk-telemetry.py against the daemon with file prefix
    `prefix`; returns {command with parameters: parsed answer}."""
    r = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input="\n".join(commands) + "\n",
                       capture_output=True, text=True, timeout=30)
    replies = []
    # It prints the server's info, then one JSON object per command, in
    # order, each keyed by the command without its parameters.
    decoder = json.JSONDecoder()
    text = r.stdout
    i = 0
    while True:
        start = text.find("{", i)
        if start < 0:
            break
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            i = start + 1
            continue
        replies.append(obj)
        i = end
    replies = replies[-len(commands):]
    return {c: r.get(c.split(",")[0]) for c, r in zip(commands, replies)}


def ctl_json(ctl_exe, sock, *args):
    r = subprocess.run([ctl_exe, "--socket", sock, "--json", *args], capture_output=True, text=True, timeout=20)
    return json.loads(r.stdout) if r.returncode == 0 else None


def check_telemetry(prefix, ctl_exe, sock):
    listed = telemetry(prefix, "/")
    known = listed.get("/", [])
    for e in ENDPOINTS + ["/ipsecgw/sa", "/ipsecgw/ike_sa"]:
        expect(e in known, f"telemetry lists {e}")

    got = telemetry(prefix, *ENDPOINTS, "/ipsecgw/sa,0x4120", "/ipsecgw/sa,16672", "/ipsecgw/sa,0x9999",
                    "/ipsecgw/sa,banana", "/ipsecgw/ike_sa,1")
    stats = ctl_json(ctl_exe, sock, "stats")
    sas = ctl_json(ctl_exe, sock, "list-sas")
    expect(stats is not None and sas is not None, "ipsecgwctl stats / list-sas answer")
    if stats is None or sas is None:
        return
    status = got.get("/ipsecgw/status") or {}
    expect(status.get("crypto_engine") == "ipsec-mb" and status.get("outbound_sas") == 2,
           f"/ipsecgw/status: engine and SA count ({status.get('crypto_engine')}, {status.get('outbound_sas')})")
    expect(status.get("ports", {}).get("0/name") == "lan", "/ipsecgw/status: ports flattened as 0/name")

    ports = got.get("/ipsecgw/ports") or {}
    expect(set(ports) == {"lan", "wan"}, f"/ipsecgw/ports: lan and wan ({sorted(ports)})")
    for p in ("lan", "wan"):
        tel = ports.get(p, {}).get("rx_packets", -1)
        ctl = stats["ports"][p]["rx_packets"]
        # The ping has ended; only ARP/ND could move a counter in between.
        expect(0 < tel <= ctl <= tel + 4, f"/ipsecgw/ports {p}: rx_packets {tel} ~ ipsecgwctl's {ctl}")

    workers = got.get("/ipsecgw/workers") or {}
    w0, total = workers.get("0", {}), workers.get("total", {})
    expect(w0.get("rx_packets", 0) > 0 and "control" in workers and "mbuf_pool/size" in total
           and 0 < total.get("rx_packets", 0) <= stats["worker"]["rx_packets"] <= total.get("rx_packets", 0) + 4,
           f"/ipsecgw/workers: worker 0 with rx_packets {w0.get('rx_packets')}, the control core, "
           f"the total ({total.get('rx_packets')} = ipsecgwctl's) and the pool")

    drops = got.get("/ipsecgw/drops") or {}
    # Telemetry names allow only [A-Za-z0-9_/]: "no-route" reads "no_route".
    expect(set(drops) == {k.replace("-", "_") for k in stats["drops"]}, f"/ipsecgw/drops: every reason ({len(drops)})")

    sa_list = got.get("/ipsecgw/sa_list") or {}
    expect(sorted(sa_list.get("outbound", [])) == sorted(s["spi"] for s in stats["sas"]["outbound"]),
           f"/ipsecgw/sa_list: outbound SPIs {sa_list.get('outbound')}")
    expect(sorted(sa_list.get("inbound", [])) == sorted(s["spi"] for s in stats["sas"]["inbound"]),
           f"/ipsecgw/sa_list: inbound SPIs {sa_list.get('inbound')}")

    sa = got.get("/ipsecgw/sa,0x4120") or {}
    out = sa.get("outbound", {})
    ctl_out = next(s for s in stats["sas"]["outbound"] if s["spi"] == 0x4120)
    expect(out.get("spi") == 0x4120 and out.get("packets") == ctl_out["packets"] and out.get("packets", 0) >= 20,
           f"/ipsecgw/sa,0x4120: outbound packets {out.get('packets')} == ipsecgwctl's {ctl_out['packets']}")
    expect("replay" not in out and out.get("name") == "outbound-v4", "/ipsecgw/sa,0x4120: the named outbound SA")
    expect(got.get("/ipsecgw/sa,16672") == sa, "/ipsecgw/sa takes decimal SPIs too")
    expect("error" in (got.get("/ipsecgw/sa,0x9999") or {}), "/ipsecgw/sa of an unknown SPI: an error field")
    expect("error" in (got.get("/ipsecgw/sa,banana") or {}), "/ipsecgw/sa,banana: an error field")
    expect("error" in (got.get("/ipsecgw/ike_sa,1") or {}), "/ipsecgw/ike_sa without IKE: an error field")
    ike_list = got.get("/ipsecgw/ike_sa_list")
    expect(ike_list is not None and not ike_list.get("ike_sas"), f"/ipsecgw/ike_sa_list: empty ({ike_list})")
    expect(not any(k.hex() in json.dumps(got) for k in KEYS.values()), "no key in any telemetry answer")


def check_prometheus(ctl_exe, sock, workdir):
    r = subprocess.run([ctl_exe, "--socket", sock, "stats", "--prometheus"], capture_output=True, text=True,
                       timeout=20)
    expect(r.returncode == 0 and "ipsecgw_sa_packets_total" in r.stdout,
           f"ipsecgwctl stats --prometheus: exit {r.returncode}, {len(r.stdout.splitlines())} lines")
    path = os.path.join(workdir, "metrics.prom")
    with open(path, "w") as f:
        f.write(r.stdout)
    lint = subprocess.run(["promtool", "check", "metrics"], input=r.stdout, capture_output=True, text=True,
                          timeout=30)
    expect(lint.returncode == 0, f"promtool check metrics: exit {lint.returncode} {lint.stdout.strip()[:300]}"
                                 f"{lint.stderr.strip()[:300]}")
    stats = ctl_json(ctl_exe, sock, "stats")
    from prometheus_client.parser import text_string_to_metric_families
    samples = {}
    for fam in text_string_to_metric_families(r.stdout):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    want = next(s for s in stats["sas"]["outbound"] if s["spi"] == 0x4120)["packets"]
    got = samples.get(("ipsecgw_sa_packets_total",
                       (("direction", "outbound"), ("spi", "0x00004120"), ("transform", TRANSFORM))))
    expect(got == want, f"prometheus ipsecgw_sa_packets_total{{spi=0x00004120}} {got} == stats {want}")
    n_drops = sum(1 for (name, _) in samples if name == "ipsecgw_drops_total")
    expect(n_drops == len(stats["drops"]), f"prometheus: one ipsecgw_drops_total per reason ({n_drops})")
    bad = subprocess.run([ctl_exe, "--socket", sock, "status", "--prometheus"], capture_output=True, text=True)
    expect(bad.returncode == 2, f"--prometheus with another command: usage error (exit {bad.returncode})")


KEYS = make_keys(TRANSFORM)


def body(workdir, procs):
    daemon, ctl_exe = sys.argv[1], sys.argv[2]
    # Each daemon's default socket: /run/ipsecgw/<file prefix>.sock.
    sock = f"/run/ipsecgw/igw{SUFFIX}gwa.sock"
    procs.update(start_pair(daemon, workdir, KEYS, TRANSFORM, False))
    expect(wait_for_gateway("ha", "10.0.1.1") and wait_for_gateway("hb", "10.0.2.1"), "both gateways answer")
    expect(ping_loss("ha", "10.0.2.10", 30) == 0.0, "ping hostA -> hostB through the tunnel: no loss")

    # Telemetry reads while a ping stream crosses the tunnel.
    stream = {}
    t = threading.Thread(target=lambda: stream.setdefault("loss", ping_loss("ha", "10.0.2.10", 100)))
    t.start()
    for _ in range(5):
        telemetry(f"igw{SUFFIX}gwa", *ENDPOINTS)
    t.join()
    expect(stream.get("loss") == 0.0, f"100 pings during 5 rounds of telemetry reads: loss {stream.get('loss')}%")

    check_telemetry(f"igw{SUFFIX}gwa", ctl_exe, sock)
    check_prometheus(ctl_exe, sock, workdir)
    for ns, p in procs.items():
        stop(p, ns, workdir)
    procs.clear()


if __name__ == "__main__":
    sys.exit(run_test("telemetry test", body, "ipsecgw-telemetry-"))
