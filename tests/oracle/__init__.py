"""An independent Python reading of docs/contract/RULES.md, and the hand-made province for it."""
