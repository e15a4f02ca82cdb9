"""Starting and stopping one ipsecgwd inside a network namespace, shared by
the netns tests (netns_gateways.py) and the IKE interop test.

The daemon runs with net_af_packet ports from its config, --no-huge and its
own --file-prefix (DESIGN.md); `ip netns exec` execs it in place, so
SIGTERM reaches the daemon itself and no shell sits in between.
"""
import json
import os
import signal
import subprocess


# The EAL lcore map: the control core on CPU 0 and one worker on CPU 1, the
# daemon's production shape; "0" is single-lcore mode, "0@0,1@1,2@1" two
# workers sharing CPU 1 (IPSECGW_TEST_LCORES overrides the default).
DEFAULT_LCORES = os.environ.get("IPSECGW_TEST_LCORES", "0@0,1@1")


def start(daemon, netns, config_path, stats_path, log_path, file_prefix, extra=(), lcores=None):
    """Starts ipsecgwd in `netns`; stdout and stderr go to `log_path`."""
    log = open(log_path, "w")
    cmd = ["ip", "netns", "exec", netns, daemon, "--config", config_path, "--stats-file", stats_path, *extra,
           "--", "--lcores", lcores or DEFAULT_LCORES, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", file_prefix,
           "--log-level=error"]
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()  # the child keeps its own descriptor


def stop(proc, file_prefix, stats_path, timeout=20):
    """SIGTERM, then wait. Returns (exit code or "timeout", runtime dir left
    behind?, the stats file as a dict or {} when unreadable)."""
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = "timeout"
    leftover = os.path.exists(f"/var/run/dpdk/{file_prefix}")
    try:
        with open(stats_path) as f:
            stats = json.load(f)
    except (OSError, ValueError):
        stats = {}
    return rc, leftover, stats
