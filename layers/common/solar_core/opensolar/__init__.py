"""OpenSolar, both ways: each installation request's link to its project, the integration's config, the projects API."""
