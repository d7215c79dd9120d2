"""SQL of the pipeline (read with :func:`fangpin.pipeline.housekeeping.query`)."""
