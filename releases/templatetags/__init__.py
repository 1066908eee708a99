"""Template filters for the portal's pages."""
