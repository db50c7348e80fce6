"""Sigma detection over the SOC lake: backend, pipelines, rules, engine, correlation, campaigns."""
