"""The Docker-free local stack, `python -m local up|demo|invoke|soak|redrive|openapi`: template.yaml run on moto."""
