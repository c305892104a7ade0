"""Installations: the SSR, installation request, warranties, audit and automation state, and the workflow's domain."""
