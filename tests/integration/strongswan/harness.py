"""The harness API in one import (each part lives in its own file):

    from strongswan.harness import topology, StrongSwan, Conn, ping, iperf3, capture, classify, addr, LAN

    with topology() as topo:                       # hostA, gwA, gwB, hostB; netns.py documents the addresses
        gw_a = StrongSwan(topo, "gwA", [Conn(...)])   # charon.py: one charon per namespace, swanctl-driven
        with gw_a:
            gw_a.load_conns()
            gw_a.initiate("net")
            sa = gw_a.wait_established("gw", "net")
            loss = ping(topo, "hostA", "10.0.2.10")
            gbps = iperf3(topo, "hostA", "hostB", "10.0.2.10", seconds=3)
            with capture(topo, "gwA", "wan0") as pcap:
                ping(topo, "hostA", "10.0.2.10")
            counts, others = classify(pcap, ["192.0.2.1", "192.0.2.2"])   # wire.py

For ipsecgwd as gwA: topology(dpdk_gateways={"gwA"}) leaves gwA's veths without
kernel addresses and turns TX checksum offload off on the veths facing it.
"""
from .charon import PKI_PLUGINS, PLUGINS, Conn, StrongSwan, installed_children  # noqa: F401
from .netns import ADDR, LAN, NAMES, Topology, addr, capture, capture_for, iperf3, ping, run, topology  # noqa: F401,E501
from .vici_raw import parse_events, parse_message  # noqa: F401
from .wire import classify, esp_spis  # noqa: F401
