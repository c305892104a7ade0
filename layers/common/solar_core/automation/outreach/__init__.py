"""What a paid order gives people, each at most once: portal access, the confirmation email and staff notices."""
