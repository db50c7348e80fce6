"""Threat-intelligence sharing hub: STIX 2.1 over TAXII 2.1, anonymised sharing, TLP 2.0."""
