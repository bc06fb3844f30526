"""The spine of a run: collect -> train -> evaluate -> decide, round after round (bootstrap.py), one round's records (collect.py), and the monitor that decides (monitor.py)."""
