"""Simulation kernel: integer-microsecond time, named random streams, the trace and its digest.

Imports nothing else of kafkasim; every other layer builds on it.
"""
