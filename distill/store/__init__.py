"""The run folder and what makes it survive: typed records, JSONL and atomic writes, the lock and kill points."""
