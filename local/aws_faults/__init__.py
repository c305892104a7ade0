"""AWS-side faults in the local stack: throttling, 5xx, lost answers, crashes, timeouts, redeliveries."""
