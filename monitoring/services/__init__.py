"""Writes of the monitoring app: the deadline sweep, the outbox and its relay, the digest."""
