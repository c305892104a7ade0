"""The Docker-free local stack: template.yaml on moto, an HTTP adapter, pollers and a fake OpenSolar."""
