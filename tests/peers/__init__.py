"""Real-peer test harness: starts Kamailio, baresip, SIPp and PulseAudio on loopback.

Plain helpers (no pytest import) so scripts, benchmarks and fixtures share one way of starting
and, above all, reliably stopping the peers.
"""
