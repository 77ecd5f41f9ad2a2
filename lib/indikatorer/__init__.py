"""Indikatorer for integrering: data, models, figures and the build of the annual book."""

__version__ = "0.1.0"
