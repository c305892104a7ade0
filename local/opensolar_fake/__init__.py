"""A fake OpenSolar API server, faithful to shared/opensolar-api.md quirks included, with fault injection."""

from local.opensolar_fake.errors import ApiError
from local.opensolar_fake.server import FakeOpenSolar

__all__ = ["ApiError", "FakeOpenSolar"]
