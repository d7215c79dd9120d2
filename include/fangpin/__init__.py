"""Fangpin (防贫): a warehouse for dynamic monitoring against relapse into poverty."""

__version__ = "0.1.0"
