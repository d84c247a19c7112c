"""Convolution and pooling: image patches, one matrix multiply, and their adjoints.

A 2-D convolution is a matrix multiply on image patches. ``im2col`` copies every kh×kw patch of
every channel into one column, giving a (C·kh·kw, N·OH·OW) matrix; the kernel, flattened to
(O, C·kh·kw), times that matrix is the whole convolution, one GEMM per layer. ``col2im`` is its
adjoint: it adds each column back onto the pixels it came from (a pixel in several patches
receives the sum of their gradients). The two are each other's VJP, so every rule below is made
of ops that have rules themselves, and second derivatives work through ``create_graph``.

Pooling uses the same patches: max pooling picks the largest entry of each column (the gradient
goes to that one pixel; ties go to the first in the window, as in PyTorch), average pooling takes
the column mean.

>>> import chainrule as cr
>>> x = cr.arange(16.0).reshape(1, 1, 4, 4)
>>> w = cr.ones((1, 1, 2, 2))
>>> conv2d(x, w, stride=2)
tensor([[[[10., 18.],
          [42., 50.]]]])
>>> max_pool2d(x, 2)
tensor([[[[ 5.,  7.],
          [13., 15.]]]])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.autograd import primitive
from chainrule.backend import xp
from chainrule.ops.arithmetic import add, matmul
from chainrule.ops.nograd import argmax
from chainrule.ops.reductions import sum as _sum
from chainrule.ops.shape import pad, permute, reshape, squeeze, unsqueeze
from chainrule.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "col2im",
    "conv1d",
    "conv2d",
    "fold",
    "im2col",
    "max_pool2d",
    "unfold",
]


def _pair(value: Any, name: str, minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints, checked, as a pair."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair  # type: ignore[return-value]


def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _geometry(shape: tuple, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> tuple:
    """Checked (kh, kw), (sh, sw), (ph, pw), (dh, dw), (OH, OW) for an (N, C, H, W) input."""
    k = _pair(kernel_size, "kernel_size", 1)
    s = _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    d = _pair(dilation, "dilation", 1)
    H, W = shape[2], shape[3]
    oh, ow = (_out_size(n, k[i], s[i], p[i], d[i]) for i, n in enumerate((H, W)))
    if oh < 1 or ow < 1:
        raise ValueError(
            f"input of spatial size ({H}, {W}) with padding {p} is smaller than the dilated "
            f"kernel {tuple(d[i] * (k[i] - 1) + 1 for i in range(2))}"
        )
    return k, s, p, d, (oh, ow)


# ----------------------------------------------------------------------------- im2col / col2im
@primitive
def im2col(x, kernel_size, stride=1, padding=0, dilation=1, pad_value=0.0):
    """(N, C, H, W) -> (C·kh·kw, N·OH·OW): row (c, i, j), column (n, oh, ow)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = _geometry(
        x.shape, kernel_size, stride, padding, dilation
    )
    n, c = x.shape[:2]
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    sn, sc, shh, sww = x.strides
    patches = xp.lib.stride_tricks.as_strided(  # a view: no copy until the reshape below
        x,
        shape=(c, kh, kw, n, oh, ow),
        strides=(sc, dh * shh, dw * sww, sn, sh * shh, sw * sww),
    )
    return patches.reshape(c * kh * kw, n * oh * ow)


@primitive
def col2im(cols, shape, kernel_size, stride=1, padding=0, dilation=1):
    """The adjoint of :func:`im2col`: add each column back onto its pixels of an input ``shape``."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = _geometry(
        shape, kernel_size, stride, padding, dilation
    )
    n, c, h, w = shape
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    blocks = cols.reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    for i in range(kh):  # a loop over kernel offsets only: each step adds one strided slab
        for j in range(kw):
            out[
                :,
                :,
                i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw,
            ] += blocks[:, :, i, j]
    return out[:, :, ph : ph + h, pw : pw + w]


# im2col is linear in x, so its VJP is its adjoint, and the adjoint's VJP is im2col again.
im2col.defvjp(
    lambda F, g, out, x, kernel_size, stride=1, padding=0, dilation=1, pad_value=0.0: F.col2im(
        g, x.shape, kernel_size, stride, padding, dilation
    )
)
col2im.defvjp(
    lambda F, g, out, cols, shape, kernel_size, stride=1, padding=0, dilation=1: F.im2col(
        g, kernel_size, stride, padding, dilation
    )
)


# ----------------------------------------------------------------------------- convolution
def _as_batch(x: Tensor, spatial: int, name: str) -> tuple[Tensor, bool]:
    """Accept (N, C, *spatial) or unbatched (C, *spatial) input, as PyTorch does."""
    if x.ndim == spatial + 1:
        return unsqueeze(x, 0), True
    if x.ndim != spatial + 2:
        raise ValueError(
            f"{name} expects (N, C{', H, W' if spatial == 2 else ', L'}) input, got shape {x.shape}"
        )
    return x, False


def _same_padding(x: Tensor, k: tuple, d: tuple, stride: tuple) -> tuple[Tensor, tuple]:
    """padding='same' as PyTorch: the extra pixel of an even kernel goes after (right/bottom)."""
    if stride != (1, 1):
        raise ValueError("padding='same' is only supported with stride 1 (as in PyTorch)")
    total = [d[i] * (k[i] - 1) for i in range(2)]
    before = [t // 2 for t in total]
    if all(t == 2 * b for t, b in zip(total, before)):
        return x, tuple(before)
    widths = ((0, 0), (0, 0), (before[0], total[0] - before[0]), (before[1], total[1] - before[1]))
    return pad(x, widths), (0, 0)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``: one GEMM on im2col patches.

    Parameters
    ----------
    input : Tensor
        (N, C, H, W), or (C, H, W) unbatched.
    weight : Tensor
        (O, C/groups, kh, kw).
    bias : Tensor, optional
        (O,).
    stride, padding, dilation : int or pair
        ``padding`` may also be ``'valid'`` (0) or ``'same'`` (stride 1).
    groups : int
        Channels split into this many independent groups.

    Examples
    --------
    >>> import chainrule as cr
    >>> x = cr.ones((2, 3, 5, 5))
    >>> conv2d(x, cr.ones((4, 3, 3, 3)), padding=1).shape
    (2, 4, 5, 5)
    """
    x, unbatched = _as_batch(input, 2, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d weight must be (O, C/groups, kh, kw), got shape {weight.shape}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    o, cg, kh, kw = weight.shape
    n, c = x.shape[:2]
    if c % groups or o % groups or cg * groups != c:
        raise ValueError(
            f"conv2d: input has {c} channels and weight {weight.shape} with groups={groups}; "
            f"expected weight of shape ({o}, {c // groups if c % groups == 0 else '?'}, {kh}, {kw})"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise ValueError(f"conv2d bias must have shape ({o},), got {bias.shape}")
    k, s, d = (kh, kw), _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid', 'same', an int or a pair, got {padding!r}")
        x, p = _same_padding(x, k, d, s) if padding == "same" else (x, (0, 0))
    else:
        p = _pair(padding, "padding", 0)
    *_, (oh, ow) = _geometry(x.shape, k, s, p, d)
    cols = im2col(x, k, s, p, d)  # (C·kh·kw, N·OH·OW)
    if groups == 1:
        out = matmul(reshape(weight, (o, cg * kh * kw)), cols)  # (O, N·OH·OW): the one GEMM
    else:
        w = reshape(weight, (groups, o // groups, cg * kh * kw))
        out = matmul(w, reshape(cols, (groups, cg * kh * kw, n * oh * ow)))
        out = reshape(out, (o, n * oh * ow))
    if bias is not None:
        out = add(out, reshape(bias, (o, 1)))
    out = permute(reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))
    return reshape(out, out.shape[1:]) if unbatched else out


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over (N, C, L) input: :func:`conv2d` with a height of 1.

    >>> import chainrule as cr
    >>> conv1d(cr.tensor([[[1.0, 2.0, 3.0, 4.0]]]), cr.tensor([[[1.0, -1.0]]]))
    tensor([[[-1., -1., -1.]]])
    """
    x, unbatched = _as_batch(input, 1, "conv1d")
    if weight.ndim != 3:
        raise ValueError(f"conv1d weight must be (O, C/groups, k), got shape {weight.shape}")

    out = conv2d(
        unsqueeze(x, 2),
        unsqueeze(weight, 2),
        bias,
        stride=_widen(stride, 1, "stride"),
        padding=_widen(padding, 0, "padding"),
        dilation=_widen(dilation, 1, "dilation"),
        groups=groups,
    )
    out = reshape(out, (out.shape[0], out.shape[1], out.shape[3]))
    return reshape(out, out.shape[1:]) if unbatched else out


def _widen(value: Any, height: Any, name: str) -> Any:
    """A 1-D setting as the (height, width) pair of the equivalent 2-D convolution."""
    if isinstance(value, str):
        return value
    if not isinstance(value, int):
        if len(tuple(value)) != 1:
            raise ValueError(f"conv1d {name} must be an int or a 1-tuple, got {value!r}")
        (value,) = tuple(value)
    return (height, value)


# ----------------------------------------------------------------------------- unfold / fold
def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Patches as ``torch.nn.functional.unfold``: (N, C, H, W) -> (N, C·kh·kw, L).

    >>> import chainrule as cr
    >>> unfold(cr.ones((2, 3, 4, 4)), 2).shape
    (2, 12, 9)
    """
    x, unbatched = _as_batch(input, 2, "unfold")
    n = x.shape[0]
    cols = im2col(x, kernel_size, stride, padding, dilation)
    rows = cols.shape[0]
    out = permute(reshape(cols, (rows, n, cols.shape[1] // n)), (1, 0, 2))
    return squeeze(out, 0) if unbatched else out  # (C, H, W) in, (C·kh·kw, L) out


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """The adjoint of :func:`unfold` (overlaps add up), as ``torch.nn.functional.fold``.

    >>> import chainrule as cr
    >>> fold(cr.ones((1, 4, 9)), (4, 4), 2)[0, 0]
    tensor([[1., 2., 2., 1.],
            [2., 4., 4., 2.],
            [2., 4., 4., 2.],
            [1., 2., 2., 1.]])
    """
    if input.ndim != 3:
        raise ValueError(f"fold expects (N, C·kh·kw, L) input, got shape {input.shape}")
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    n, rows, length = input.shape
    if rows % (kh * kw):
        raise ValueError(f"fold: {rows} rows is not a multiple of the kernel's {kh * kw} entries")
    h, w = _pair(output_size, "output_size", 1)
    shape = (n, rows // (kh * kw), h, w)
    *_, (oh, ow) = _geometry(shape, (kh, kw), stride, padding, dilation)
    if oh * ow != length:
        raise ValueError(f"fold: {length} patches do not tile an output of {output_size}")
    cols = reshape(permute(input, (1, 0, 2)), (rows, n * length))
    return col2im(cols, shape, (kh, kw), stride, padding, dilation)


# ----------------------------------------------------------------------------- pooling
@primitive
def take_rows(cols, rows):
    """``cols[rows[j], j]`` for every column j: the picked entry of each column."""
    return cols[rows, xp.arange(cols.shape[1])]


@primitive
def put_rows(g, rows, height):
    """The adjoint of :func:`take_rows`: zeros of ``height`` rows with ``g`` at the picked entries."""
    out = xp.zeros((height, g.shape[0]), dtype=g.dtype)
    out[rows, xp.arange(g.shape[0])] = g  # one entry per column, so plain assignment is exact
    return out


take_rows.defvjp(lambda F, g, out, cols, rows: F.put_rows(g, rows, cols.shape[0]))
put_rows.defvjp(lambda F, g, out, _g, rows, height: F.take_rows(g, rows))


def _windows(
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    name: str,
) -> tuple[Tensor, tuple, tuple, tuple, tuple]:
    """What both poolings check and prepare: each channel as its own one-channel image.

    Returns that (N·C, 1, H, W) input with the checked kernel, stride and padding and the output
    shape, (N, C, OH, OW) or (C, OH, OW) for an unbatched input.
    """
    if ceil_mode:
        raise NotImplementedError(f"chainrule's {name} does not implement ceil_mode=True")
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    if any(p[i] > k[i] // 2 for i in range(2)):
        raise ValueError(f"padding {p} must be at most half the kernel size {k}")
    x, _ = _as_batch(input, 2, name)
    x = reshape(x, (x.shape[0] * x.shape[1], 1, x.shape[2], x.shape[3]))
    *_, size = _geometry(x.shape, k, s, p, dilation)
    return x, k, s, p, (*input.shape[:-2], *size)


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The largest value of each window, as ``torch.nn.functional.max_pool2d``.

    The gradient goes to the one pixel that won its window; on a tie, to the first in the window
    (row by row), as PyTorch does. Padding counts as −∞.

    >>> import chainrule as cr
    >>> x = cr.tensor([[[[1.0, 3.0], [3.0, 2.0]]]], requires_grad=True)
    >>> max_pool2d(x, 2).sum().backward()
    >>> x.grad  # the tie goes to the first 3
    tensor([[[[0., 1.],
              [0., 0.]]]])
    """
    x, k, s, p, out_shape = _windows(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    cols = im2col(x, k, s, p, dilation, pad_value=-math.inf)
    rows = argmax(cols, axis=0)  # the first maximum of each window; an op, so compile records it
    out = reshape(take_rows(cols, rows), out_shape)
    if not return_indices:
        return out
    return out, _flat_indices(rows._data, input.shape[-1], k, s, p, dilation, out_shape)


def _flat_indices(rows: Any, width: int, k: tuple, s: tuple, p: tuple, d: Any, out_shape: tuple):
    """PyTorch's ``return_indices``: the winner's position in its (H, W) plane, as int64."""
    d = _pair(d, "dilation", 1)
    oh, ow = out_shape[-2:]
    column = xp.arange(rows.shape[0])
    h = (column // ow) % oh * s[0] - p[0] + (rows // k[1]) * d[0]
    w = column % ow * s[1] - p[1] + (rows % k[1]) * d[1]
    return Tensor((h * width + w).astype(xp.int64).reshape(out_shape))


def _window_sizes(n: int, k: int, s: int, p: int, out: int) -> Any:
    """How many real (unpadded) pixels each window along one axis covers."""
    start = xp.arange(out) * s - p
    return xp.minimum(start + k, n) - xp.maximum(start, 0)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window, as ``torch.nn.functional.avg_pool2d``.

    >>> import chainrule as cr
    >>> avg_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    x, k, s, p, out_shape = _windows(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d"
    )
    total = _sum(im2col(x, k, s, p, 1), axis=0)
    if divisor_override is not None:
        count: Any = float(divisor_override)
    elif count_include_pad or not any(p):
        count = float(k[0] * k[1])
    else:  # divide by the real pixels of each window only
        size = out_shape[-2:]
        per_axis = [_window_sizes(x.shape[2 + i], k[i], s[i], p[i], size[i]) for i in range(2)]
        count = xp.tile(xp.outer(*per_axis).reshape(-1), x.shape[0]).astype(x.dtype)
    return reshape(total / count, out_shape)


def _bins(n_in: int, n_out: int, dtype: Any) -> Any:
    """PyTorch's adaptive bins as an averaging matrix: bin i spans [⌊i·n/m⌋, ⌈(i+1)·n/m⌉)."""
    m = xp.zeros((n_out, n_in), dtype=dtype)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive bins: two small matrix multiplies, Pₕ · x · Pᵥᵀ.

    >>> import chainrule as cr
    >>> adaptive_avg_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[7.5000]]]])
    """
    x, unbatched = _as_batch(input, 2, "adaptive_avg_pool2d")
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    h, w = x.shape[2:]
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"output_size must be positive, got {output_size!r}")
    ph, pw = _bins(h, oh, x.dtype), _bins(w, ow, x.dtype)
    out = matmul(matmul(ph, x), pw.T)
    return reshape(out, out.shape[1:]) if unbatched else out
