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
    if a caller goes past it); ``keys`` / ``values`` are views of its filled part, whose length is the
    layer's sequence length (so the parent's ``crop`` and ``get_seq_length`` hold as they are)."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self._k: torch.Tensor | None = None
        self._v: torch.Tensor | None = None

    def _view(self, length: int) -> None:
        self.keys, self.values = self._k[:, :, :length], self._v[:, :, :length]

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        start = self.get_seq_length()
        end = start + key_states.shape[-2]
        if self._k is None or end > self._k.shape[-2]:
            shape = (*key_states.shape[:2], max(end, self.capacity, 2 * start), key_states.shape[3])
            k, v = key_states.new_empty(shape), value_states.new_empty(shape)
            if start:
                k[:, :, :start], v[:, :, :start] = self.keys, self.values
            self._k, self._v = k, v
        self._k[:, :, start:end] = key_states
        self._v[:, :, start:end] = value_states
        self._view(end)
        return self.keys, self.values

    def batch_repeat_interleave(self, repeats: int) -> None:
        if length := self.get_seq_length():
            self._k, self._v = self._k.repeat_interleave(repeats, dim=0), self._v.repeat_interleave(repeats, dim=0)
            self._view(length)

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if length := self.get_seq_length():
            self._k, self._v = self._k[indices], self._v[indices]
            self._view(length)

    def reset(self) -> None:
        self._k = self._v = None
        super().reset()


class ReservedCache(DynamicCache):
    """A :class:`DynamicCache` for ``config`` whose full-attention layers reserve ``capacity``
    positions (prompt + new tokens) up front (:class:`ReservedLayer`)."""

    def __init__(self, config, capacity: int) -> None:
        super().__init__(config=config)
        self.layers = [ReservedLayer(capacity) if type(layer) is DynamicLayer else layer for layer in self.layers]
