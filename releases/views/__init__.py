"""Views: public pages and staff pages, kept apart."""
