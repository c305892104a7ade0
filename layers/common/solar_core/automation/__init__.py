"""The paid-order automation: the steps, the state per order, executions, staff re-runs, the attention list."""
