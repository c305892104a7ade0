"""`make demo`: the scripted scenario, one module per part, and the client and context the parts share."""
