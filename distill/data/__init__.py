"""Data written for training and evaluation: prompt and eval files, question records, instruction data, principles, near-duplicates."""
