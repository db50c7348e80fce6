"""Joint CSIRT: incidents from detection to recovery, containment actions, on-call, reports."""
