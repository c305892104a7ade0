"""The fake OpenSolar's public API: routes behind the gate, auth, projects, rate limits, faults, DRF errors."""
