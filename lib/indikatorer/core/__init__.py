"""Layer: core."""
