"""Spanish as written for readers in the United States: Django's Spanish dates ("17 de mayo de
2024"), with the US number style that Spanish-language US government pages use (1,234.5; $1,234.50)
and weeks starting on Sunday. Every other format falls back to Django's "es" locale."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 0  # Sunday
