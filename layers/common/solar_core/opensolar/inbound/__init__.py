"""Their side in: webhook deliveries (stored once, queued, applied once), our registration, the daily catch-up."""
