"""Installations: the SSR, installation request, warranties and audit, and the Installations table's items."""
