"""`make soak`: the whole system under load and faults in a fresh local stack, every outcome counted exactly."""
