"""Data written for training and evaluation: prompt and eval files, instruction data, principles, the scoring and arithmetic rules, near-duplicates, and Self-Instruct prompt growth."""
