"""Evidence-based policy: logic models, safe data linkage, data literacy training."""
