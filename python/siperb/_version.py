"""The package version, in a module of its own so any layer can put it in a User-Agent."""

__version__ = "0.1.0"
