"""The fake OpenSolar's `/_control/` routes: drive it from tests, the local stack and benchmarks."""
