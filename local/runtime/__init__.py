"""The Lambda runtime, locally: handlers loaded by path, the pool that invokes them, and `python -m local invoke`."""
