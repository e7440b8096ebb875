"""The encoder interface every embedder implements."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Progress = Callable[[int, int], None]


class Embedder(abc.ABC):
    """Base class: turns texts into L2-normalised vectors.

    Subclasses set :attr:`model_id` and :attr:`fingerprint` (which changes whenever the weights do)
    and implement :meth:`encode`.
    """

    model_id: str = ""
    fingerprint: str = ""
    dim: int = 0

    @abc.abstractmethod
    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> NDArray[np.float32]:
        """Vectors for ``texts``, one row each, L2-normalised."""

    def describe(self) -> dict[str, str]:
        """What the manifest records about this encoder."""
        return {"model": self.model_id, "fingerprint": self.fingerprint, "encoder": type(self).__name__}

    def batch_order(self, texts: Sequence[str]) -> tuple[list[int], int]:
        """The order :meth:`encode` works through ``texts`` in, and how many texts it takes at a time.

        A slice of that order whose length is a multiple of the step, encoded on its own, gives the
        same vectors as inside the whole call; :mod:`wisdoms.distributed` cuts partitions this way so
        a cluster reproduces a single-process run exactly.
        """
        return list(range(len(texts))), 1
