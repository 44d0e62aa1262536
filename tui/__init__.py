"""gameops-tui: a terminal console for Amazon GameLift and Amazon GameSparks live operations."""

import os

__version__ = "0.1.0"

# Textual paints a changed screen on its next frame tick; at its default 60 frames a second a key
# pressed just after a tick waits up to 17 ms to show. At 120 the wait is half that (benchmark
# key p95 20 ms instead of 30 ms while pages load); idle screens are not painted either way.
# Set here, before anything imports Textual (it reads the variable once, at import).
os.environ.setdefault("TEXTUAL_FPS", "120")
