"""The terminal: the displays (plain and live), distill show, the distill command line, and the recipes' shared flags."""
