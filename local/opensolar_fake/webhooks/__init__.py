"""The fake OpenSolar's webhooks: registrations, the delivery queue and its process logs."""
