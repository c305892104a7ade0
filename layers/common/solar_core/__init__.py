"""Shared domain, data access and clients for the solar order-to-installation backbone."""
