"""strongSwan-in-network-namespaces harness for the IKEv2 interop tests (see harness.py)."""
