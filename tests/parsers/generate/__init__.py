"""A generator of filled forms: every filling style, several layouts, known records."""
