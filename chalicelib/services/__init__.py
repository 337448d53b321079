"""Use cases: they orchestrate the domain and the adapters; the domain decides."""
