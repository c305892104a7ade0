"""The OpenSolar REST client: session, token auth, typed errors, its bodies, the API user from Secrets Manager."""
