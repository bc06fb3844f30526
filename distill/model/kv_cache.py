"""A KV cache whose rows are reserved for the whole answer, for the student's batched decode.

transformers' ``DynamicCache`` appends each new token by ``torch.cat``: every layer allocates and
copies its whole cache at every step (under torch's profiler the largest op of a 64-row decode
step, a few percent of it unprofiled: docs/performance.md, ``bench/decode_profile.py``). Here each
layer writes the step's keys and values into a buffer sized for prompt + answer and hands attention
a view of the filled part; rows that finish are dropped as before (one gather of the buffer)."""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer


class ReservedLayer(DynamicLayer):
    """A :class:`DynamicLayer` that writes into a buffer of ``capacity`` positions (grown by doubling
    if a caller goes past it); ``keys`` / ``values`` are views of its filled part."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self._k: torch.Tensor | None = None
        self._v: torch.Tensor | None = None
        self.length = 0

    def _reserve(self, like: torch.Tensor, rows: int, size: int) -> torch.Tensor:
        return like.new_empty((rows, like.shape[1], size, like.shape[3]))

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if self._k is None or end > self._k.shape[-2]:
            size = max(end, self.capacity, 2 * self.length)
            k, v = self._reserve(key_states, key_states.shape[0], size), self._reserve(value_states, key_states.shape[0], size)
            if self.length:
                k[:, :, : self.length] = self._k[:, :, : self.length]
                v[:, :, : self.length] = self._v[:, :, : self.length]
            self._k, self._v = k, v
        self._k[:, :, self.length : end] = key_states
        self._v[:, :, self.length : end] = value_states
        self.length = end
        self.keys, self.values = self._k[:, :, :end], self._v[:, :, :end]
        return self.keys, self.values

    def batch_repeat_interleave(self, repeats: int) -> None:
        if self.length:
            self._k, self._v = self._k.repeat_interleave(repeats, dim=0), self._v.repeat_interleave(repeats, dim=0)
            self.keys, self.values = self._k[:, :, : self.length], self._v[:, :, : self.length]

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.length:
            self._k, self._v = self._k[indices], self._v[indices]
            self.keys, self.values = self._k[:, :, : self.length], self._v[:, :, : self.length]

    def crop(self, tokens_to_remove: int) -> None:
        super().crop(tokens_to_remove)
        if self.is_initialized and self.keys is not None:
            self.length = self.keys.shape[-2]

    def reset(self) -> None:
        self._k = self._v = None
        self.length = 0
        super().reset()


class ReservedCache(DynamicCache):
    """A :class:`DynamicCache` for ``config`` whose full-attention layers reserve ``capacity``
    positions (prompt + new tokens) up front (:class:`ReservedLayer`)."""

    def __init__(self, config, capacity: int) -> None:
        super().__init__(config=config)
        self.layers = [ReservedLayer(capacity) if type(layer) is DynamicLayer else layer for layer in self.layers]
