"""Checking every cell: typed values, problems at their cells, which commune each row is."""
