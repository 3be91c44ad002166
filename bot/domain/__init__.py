"""The domain: the Hotfix aggregate, its transition table, approvals, policy, triage and values."""
