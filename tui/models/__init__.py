"""Pane models: each pane's state, paging, refresh policy and workflows, in plain Python below
the UI (no Textual). ``tui/models/<name>.py`` is the model of ``tui/ui/panes/<name>.py``; its
unit tests are ``tests/test_<name>_model.py`` and run without an app. Clock, sleep and
cancellation are parameters, so a test drives them."""
