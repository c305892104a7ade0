"""Installation scheduling: crews, their days off, free slots, and bookings that never overfill a crew's day."""
