"""rengo (連合): the shared platform of Tokyo's 23 special wards."""

__version__ = "0.1.0"
