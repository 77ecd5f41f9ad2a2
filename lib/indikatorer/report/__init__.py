"""Layer: report."""
