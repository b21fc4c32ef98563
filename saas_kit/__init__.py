"""saas_kit: exact SaaS metrics from billing exports (see README.md and ../shared/metrics.md)."""
