"""Scripted runs on a fresh stack: `make demo` and its parts, `make soak`, and the sample catalog they share."""
