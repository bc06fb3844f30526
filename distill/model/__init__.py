"""The model: resolving a spec to weights, the Student (batched generation and likelihoods), precision, the OpenAI-compatible client, and the student served by a server."""
