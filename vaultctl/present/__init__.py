"""Presentation: terminal tables and JSON, the HTML report and audit pages."""
