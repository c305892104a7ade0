"""IAM in the local stack: each function's role, the check of every AWS call its code makes, and what was used."""
