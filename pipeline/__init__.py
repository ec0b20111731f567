"""Appraise the ICT indicators of new-rural communes from their workbooks."""

# The one place the version is written: pyproject.toml reads it (setuptools dynamic version).
__version__ = "0.1.0"
