"""The policy's targets (KGI/KSI/KPI): declared by each domain, computed from live data."""
