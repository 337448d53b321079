"""One adapter per provider: verify the request is genuine, then parse the
provider's wire format into the one domain report type. Nothing past an
adapter knows a provider's format."""
