"""Sources turn the outside world into plain facts (``facts.py``). They never import
the inventory models; only ``inventory.reconcile`` writes to the database."""
