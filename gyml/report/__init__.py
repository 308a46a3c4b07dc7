"""The analysis record and its presentations (JSON, HTML)."""
