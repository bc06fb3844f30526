"""Teacher backends: each file one way of critiquing and revising answers."""
