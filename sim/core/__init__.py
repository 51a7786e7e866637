"""Simulation kernel: integer-microsecond time, named random streams, the trace (its
records, digest and subscriptions).

Imports nothing else of kafkasim; every other layer builds on it.
"""
