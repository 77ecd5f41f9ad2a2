"""Layer: data."""
