"""Layer: publish."""
