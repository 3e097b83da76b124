"""Data protection: the personal-data inventory, erasure (GDPR art. 17) and retention (art. 5(1)(e))."""
