"""Pure functions over the trace and the final audit: fates, loss, order, availability."""
