"""SQL of the orchestration (read with :func:`fangpin.orchestration.housekeeping.query`)."""
