"""Development tools, not installed: ``make i18n`` and ``make docs``."""
