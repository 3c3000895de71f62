"""vaultctl: a tamper-evident, two-person-signed record of an exam site's paper room."""

__version__ = "0.3.0"
__all__ = ["__version__"]
