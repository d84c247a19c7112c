"""Weight initialisation, in place, with PyTorch's names.

Random initialisation breaks the symmetry between hidden units (the notes' "initialise θ at
random"); the scale is what keeps signals and gradients from shrinking or exploding with depth:

- Xavier/Glorot: Var(w) = gain² · 2 / (fan_in + fan_out), for tanh and sigmoid;
- Kaiming/He: Var(w) = gain² / fan_in with gain √2, for ReLU;
- LeCun: Var(w) = 1 / fan_in, for SELU and linear layers.

Every function takes a ``generator`` so model builds are reproducible.

>>> import chainrule as cr
>>> from chainrule import nn
>>> w = nn.Parameter(cr.zeros(256, 128))
>>> _ = nn.init.kaiming_normal_(w, generator=cr.Generator(0))
>>> round(float(w.data.std()) * (128 ** 0.5), 1)   # ≈ √2
1.4
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any

from chainrule._missing import module_getattr
from chainrule.creation import Generator, default_generator
from chainrule.tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "get",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "lecun_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps the variance of activations steady through ``nonlinearity``.

    >>> calculate_gain("tanh")
    1.6666666666666667
    """
    name = nonlinearity.lower()
    if name in ("linear", "identity", "sigmoid", "logistic", "conv1d", "conv2d"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name in ("relu", "gelu", "elu", "softplus"):
        return math.sqrt(2.0)
    if name == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if name == "selu":
        return 3.0 / 4.0
    raise ValueError(f"no gain is defined for nonlinearity {nonlinearity!r}")


def _fans(t: Tensor) -> tuple[int, int]:
    shape = t.shape
    if len(shape) < 1:
        raise ValueError("fan in and fan out need a tensor with at least one dimension")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _gen(generator: Generator | None) -> Generator:
    return generator if generator is not None else default_generator


def _fill(t: Tensor, values: Any) -> Tensor:
    t._data[...] = values.astype(t._data.dtype, copy=False)
    return t


def uniform_(
    t: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(t, _gen(generator).uniform(t.shape, a, b, dtype=t.dtype))


def normal_(
    t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(t, _gen(generator).normal(t.shape, mean, std, dtype=t.dtype))


def constant_(t: Tensor, value: float) -> Tensor:
    """Fill with ``value``."""
    t._data[...] = value
    return t


def zeros_(t: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(t, 1.0)


def xavier_uniform_(t: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot uniform: U(±gain·√(6 / (fan_in + fan_out)))."""
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, generator)


def xavier_normal_(t: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, gain² · 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = _fans(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He uniform: U(±gain·√(3 / fan)), gain √(2 / (1 + a²)) for leaky ReLU (√2 when a = 0).

    >>> import math
    >>> import chainrule as cr
    >>> w = kaiming_uniform_(cr.empty(200, 100), a=math.sqrt(5))  # nn.Linear's: U(±1/√fan_in)
    >>> bool(w.abs().max() <= 1 / math.sqrt(100))
    True
    """
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He normal: N(0, gain² / fan), gain √(2 / (1 + a²)) for leaky ReLU (√2 when a = 0)."""
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity), generator)


def lecun_uniform_(t: Tensor, generator: Generator | None = None) -> Tensor:
    """LeCun uniform: U(±√(3 / fan_in))."""
    bound = math.sqrt(3.0 / _fans(t)[0])
    return uniform_(t, -bound, bound, generator)


def lecun_normal_(t: Tensor, generator: Generator | None = None) -> Tensor:
    """LeCun normal: N(0, 1 / fan_in)."""
    return normal_(t, 0.0, math.sqrt(1.0 / _fans(t)[0]), generator)


def trunc_normal_(
    t: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (out-of-range draws are drawn again).

    >>> import chainrule as cr
    >>> w = trunc_normal_(cr.empty(100, 100), std=1.0, a=-0.5, b=0.5)
    >>> bool(w.abs().max() <= 0.5)
    True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    gen = _gen(generator)
    values = gen.normal(t.shape, mean, std, dtype=t.dtype)
    bad = (values < a) | (values > b)
    while bad.any():  # rejection: each round keeps every draw that lands in [a, b]
        values[bad] = gen.normal((int(bad.sum()),), mean, std, dtype=t.dtype)
        bad = (values < a) | (values > b)
    return _fill(t, values)


def orthogonal_(t: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013), from the QR
    decomposition of a Gaussian matrix; dims after the first are flattened.

    >>> import chainrule as cr
    >>> q = orthogonal_(cr.empty(6, 4))
    >>> cr.allclose(q.t() @ q, cr.eye(4), atol=1e-5)
    True
    """
    from chainrule.backend import xp

    if t.ndim < 2:
        raise ValueError(f"orthogonal_: needs at least 2 dims, got shape {t.shape}")
    rows = t.shape[0]
    cols = t._data.size // rows
    flat = _gen(generator).normal((rows, cols), dtype="float64")
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))  # makes the decomposition unique (uniform over rotations)
    if rows < cols:
        q = q.T
    return _fill(t, (gain * q).reshape(t.shape))


def eye_(t: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere).

    >>> import chainrule as cr
    >>> eye_(cr.empty(2, 3)).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    from chainrule.backend import xp

    if t.ndim != 2:
        raise ValueError(f"eye_: needs a 2-D tensor, got shape {t.shape}")
    return _fill(t, xp.eye(*t.shape))


_BY_NAME: dict[str, Callable[..., Tensor]] = {
    "uniform": uniform_,
    "normal": normal_,
    "xavier_uniform": xavier_uniform_,
    "glorot_uniform": xavier_uniform_,
    "xavier_normal": xavier_normal_,
    "glorot_normal": xavier_normal_,
    "kaiming_uniform": kaiming_uniform_,
    "he_uniform": kaiming_uniform_,
    "kaiming_normal": kaiming_normal_,
    "he_normal": kaiming_normal_,
    "lecun_uniform": lecun_uniform_,
    "lecun_normal": lecun_normal_,
    "trunc_normal": trunc_normal_,
    "orthogonal": orthogonal_,
    "zeros": zeros_,
    "ones": ones_,
}


def get(name: str) -> Callable[..., Tensor]:
    """An initialiser by name ('xavier_uniform', 'kaiming_normal', 'lecun_normal', ...).

    >>> get("he_normal").__name__
    'kaiming_normal_'
    """
    key = name.lower().rstrip("_")
    if key not in _BY_NAME:
        close = difflib.get_close_matches(key, list(_BY_NAME), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown initialiser {name!r}{hint} (known: {', '.join(_BY_NAME)})")
    return _BY_NAME[key]


__getattr__ = module_getattr("torch.nn.init", __all__)  # other init names: NotImplementedError
