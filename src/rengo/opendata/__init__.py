"""Data for Citizen Tokyo: the joint open-data portal of the 23 wards (CKAN API, DCAT)."""
