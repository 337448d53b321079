"""HTTP entry points as Chalice blueprints: parse, call one service, map the result."""
