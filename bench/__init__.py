"""`make bench`: cost and speed numbers written to bench/results.json (never asserted in tests)."""
