"""Joint SOC: collect, normalise, keep and search every ward's security logs; detect attacks."""
