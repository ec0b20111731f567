"""Appraise the ICT indicators of new-rural communes from their workbooks."""

__version__ = "0.1.0"
