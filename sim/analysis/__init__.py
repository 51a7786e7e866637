"""What a run's trace and final audit say: fates, loss, order, consumption, availability.

Pure functions over the trace's kept records and the audit, and the observers
the runner registers on the trace (lag, processing, availability), which keep
their books from the records they see. Besides those, analysis reads only the
producers' send books (per-record send times and keys, numpy arrays rather
than trace rows) and the offsets topic's record store: never a broker or the
controller, and it imports nothing of the cluster package.
"""
