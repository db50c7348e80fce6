"""FinOps for the Government Cloud: FOCUS cost lake, allocation, anomalies, budgets, BPR."""
