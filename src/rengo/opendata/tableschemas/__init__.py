"""The standard dataset types as Frictionless Table Schemas (JSON files)."""
