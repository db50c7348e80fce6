"""Settings, tenancy, identity, permissions, audit and storage: what every domain stands on.

``rengo.core`` imports no domain module.
"""
