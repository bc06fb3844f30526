"""Measuring a round: gold-answer evaluation, held-out loss on original data, and the per-round metrics the monitor decides on."""
