"""What a round trains on: the filters that keep or drop each sample, the training rows of every objective (the one place they are built, for the loop and for export) and the preference pairs."""
