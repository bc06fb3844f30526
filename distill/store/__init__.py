"""The run folder and what makes it survive: typed records, JSONL and atomic writes, the lock, kill points and Ctrl-C."""
