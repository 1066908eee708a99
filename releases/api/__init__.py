"""The JSON API: staff endpoints now (staff.py), the public API later."""
