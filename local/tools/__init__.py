"""Tools for operators and developers: DLQ redrive and the OpenAPI document."""
