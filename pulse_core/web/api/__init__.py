"""The built-in REST API: one module per resource, each an ordinary plugin registering a blueprint."""
