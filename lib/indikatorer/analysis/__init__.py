"""Layer: analysis."""
