"""Organization administration: settings, API tokens, and the API help page."""
