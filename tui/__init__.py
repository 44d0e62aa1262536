"""gameops-tui: a terminal console for Amazon GameLift and Amazon GameSparks live operations."""

__version__ = "0.1.0"
