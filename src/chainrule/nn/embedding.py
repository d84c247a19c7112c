"""``Embedding``: a table of learned vectors, looked up by integer index.

>>> import chainrule as cr
>>> from chainrule import nn
>>> emb = nn.Embedding(10, 3)
>>> emb(cr.tensor([[1, 2, 4]])).shape
(1, 3, 3)
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule.creation import Generator, default_generator
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.nn.torch_functional import embedding
from chainrule.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """``num_embeddings`` vectors of size ``embedding_dim``, initialised from N(0, 1) as in
    PyTorch; the row ``padding_idx`` starts at zero and receives no gradient.

    Parameters
    ----------
    num_embeddings, embedding_dim : int
    padding_idx : int, optional
    generator : Generator, optional
        The source of the initial vectors (the global generator if None).
    dtype : dtype, optional
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        generator: Generator | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(
                f"Embedding needs positive sizes, got ({num_embeddings}, {embedding_dim})"
            )
        dt = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = None if padding_idx is None else padding_idx % num_embeddings
        gen = generator if generator is not None else default_generator
        weight = gen.normal((num_embeddings, embedding_dim), dtype=dt)
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0
        self.weight = Parameter(weight)

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
