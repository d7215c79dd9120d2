"""Province-scale benchmark: seconds per stage, load rates against the floor, memory, size."""
