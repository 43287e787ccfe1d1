"""The knowledge API under /api/v1/, one module per part: ``adr``, ``raci``,
``onboarding``."""
