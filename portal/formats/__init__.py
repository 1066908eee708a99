"""Local format overrides (settings.FORMAT_MODULE_PATH); anything not set here is Django's."""
