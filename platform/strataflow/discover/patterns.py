"""Value patterns and PII hints shared by discovery and profiling (names first, values confirm)."""

from __future__ import annotations

import re

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"),
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    "phone": re.compile(r"^\+?[0-9][0-9 ()./-]{6,18}[0-9]$"),
    "date_text": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime_text": re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"),
    "integer_text": re.compile(r"^-?\d+$"),
}
PII_PATTERNS = {"email", "phone"}

_PII_NAMES = re.compile(
    r"(^|_)(e?mail|email_address|phone|mobile|telephone|tel|fax|first_?name|last_?name|full_?name|surname|"
    r"given_name|birth|dob|date_of_birth|ssn|social_security|passport|iban|bic|card_number|credit_card|"
    r"address|street|zip|postcode|postal_code|ip_address|ip|tax_id|national_id)($|_)"
)


def pii_by_name(column: str) -> str | None:
    """Why the column name suggests personal data, or None."""
    match = _PII_NAMES.search(column.lower())
    return f"name contains '{match.group(2)}'" if match else None


def matching_patterns(values: list[str], threshold: float = 0.9) -> dict[str, float]:
    """Patterns that at least `threshold` of the non-empty values match, with their share."""
    values = [v for v in values if v]
    if not values:
        return {}
    out = {}
    for name, pattern in PATTERNS.items():
        share = sum(1 for v in values if pattern.match(v)) / len(values)
        if share >= threshold:
            out[name] = round(share, 4)
    return out
