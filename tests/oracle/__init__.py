"""An independent reading of RULES.md in Python, and the hand-made province it is tested on."""
