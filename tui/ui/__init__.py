"""The Textual user interface. Everything above the services layer lives here."""
