"""The base of models most functions import but only some paths use: validated exactly like BaseModel, built later.

pydantic builds a model's validator and serializer when its class is created, ~1-3 ms each. A handler imports whole
model modules (the catalog's, the orders', OpenSolar's answers) for the few models its paths touch, so building them
all at import cost every cold start tens of ms; with `defer_build` a model is built the first time it validates,
serialises or gives its schema, and stays built for the container.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    """A BaseModel built on first use; a subclass's own `model_config` is merged with this one."""

    model_config = ConfigDict(defer_build=True)
