"""The information asset register (情報資産台帳): every ward's systems, data sets and devices.

Logs come from assets, costs belong to assets, open data sets are assets classified public.
"""
