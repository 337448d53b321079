"""Local stand-ins for AWS: moto server, provisioning, event runner, `make run`."""
