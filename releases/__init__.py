"""The releases app: footage, redaction, review and publication."""
