"""Province-scale benchmark: seconds per stage, load rates against the floor, memory, size.

Not part of the installed package (nothing in the pipeline imports it): run it from the project
root as ``python -m benchmarks`` (``make bench``), which puts this folder's parent on the path.
"""
