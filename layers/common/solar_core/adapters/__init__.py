"""Adapters shared by the functions: they translate between Lambda events and the domain."""
