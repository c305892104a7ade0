"""Contract tests: the fake OpenSolar pinned to the behaviour documented in shared/opensolar-api.md."""
