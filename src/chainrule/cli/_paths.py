"""Output paths checked before any work, with errors that name the user's path.

A command that will write a file or a run directory calls :func:`check_output_file` or
:func:`check_output_dir` first, so a bad ``-o``/``--out`` is refused in a moment rather than
after training, and the message never names an internal temporary path.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     check_output_dir(pathlib.Path(d) / "runs" / "a", "--out")
...     _ = (pathlib.Path(d) / "f").write_text("x")
...     try:
...         check_output_dir(pathlib.Path(d) / "f" / "sub", "--out")
...     except NotADirectoryError as exc:
...         print(str(exc).split(": ", 1)[1])
f is a file, not a directory
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from chainrule.cli import _signals

__all__ = ["check_output_dir", "check_output_file", "user_os_error"]


def user_os_error(exc: OSError, option: str, path: str | os.PathLike[str]) -> OSError:
    """``exc`` as one message naming the user's ``option path`` instead of a temporary file."""
    return type(exc)(f"{option} {str(path)!r}: {exc.strerror or exc}")


def _writable_folder(path: Path, option: str) -> None:
    """Refuse unless the nearest existing folder above ``path`` accepts new entries."""
    folder = path.absolute().parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    shown = f"{option} {str(path)!r}"
    if not folder.is_dir():
        raise NotADirectoryError(f"{shown}: {folder.name} is a file, not a directory")
    try:  # the only sure test is to make an entry: os.access says yes to root, even in /proc
        with _signals.current().deferred(then_raise=True):  # a signal must not leave the probe
            os.rmdir(tempfile.mkdtemp(prefix=".chainrule-probe-", dir=folder))
    except OSError as exc:
        raise type(exc)(f"{shown}: cannot write in {folder} ({exc.strerror or exc})") from None


def check_output_dir(target: str | os.PathLike[str], option: str) -> None:
    """Refuse (an OSError naming ``option`` and ``target``) a directory that cannot be made."""
    _writable_folder(Path(target), option)


def check_output_file(
    path: str | os.PathLike[str],
    option: str,
    *,
    overwrite: bool,
    inputs: Sequence[str | os.PathLike[str]] = (),
    protected: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Refuse an output file that cannot or must not be written.

    Always refused: a directory, something that is not a regular file, one of ``inputs``, and
    anything inside a ``protected`` directory (a run's own files). An existing file is refused
    without ``overwrite``. Its folder must accept new files (the file is written beside its
    final name, then renamed).
    """
    p = Path(path)
    shown = f"{option} {str(path)!r}"
    if p.name in ("", ".", "..") or p.is_dir():
        raise IsADirectoryError(f"{shown} is a directory; name a file to write")
    resolved = p.resolve()
    for src in inputs:
        if os.path.exists(src) and (
            resolved == Path(src).resolve() or (p.exists() and os.path.samefile(src, p))
        ):  # the same file by path, symbolic link or hard link
            raise ValueError(f"{shown} is the input file; refusing to overwrite it")
    for folder in protected:
        if resolved.is_relative_to(Path(folder).resolve()):
            raise ValueError(f"{shown} is inside the run directory {str(folder)!r}; refusing")
    if os.path.lexists(p):
        if not p.is_file():
            raise FileExistsError(f"{shown} exists and is not a regular file; refusing")
        if not overwrite:
            raise FileExistsError(f"{shown} already exists; pass --overwrite to replace it")
    _writable_folder(p, option)
