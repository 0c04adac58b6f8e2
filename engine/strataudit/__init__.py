"""strataudit: a rule-based audit engine for marketing strategy plans.

Data flows one way: file -> model -> facts -> engine -> findings -> gate -> report.
"""

__version__ = "0.1.0"
RULES_VERSION = "1"
