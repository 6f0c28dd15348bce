"""The version of conductor, in a leaf module that every room may import."""

__version__ = "0.1.0"
