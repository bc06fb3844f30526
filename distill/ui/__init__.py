"""The terminal: the live display, distill show, the distill command line, and the recipes' shared flags (with the objectives' own)."""
