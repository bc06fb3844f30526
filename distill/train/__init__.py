"""Training a round: the config, one module per objective behind one small interface (a TRL trainer from rows), LoRA merged into a plain model folder, and the worker that runs under a launcher."""
