"""What a run leaves for people and other tools: the report, model cards, trackers, the Hub, and exported datasets."""
