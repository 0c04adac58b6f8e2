"""The built-in rule catalogue: one YAML file per rule under rules/<category>/ (data, not code)."""
