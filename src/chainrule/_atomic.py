"""Write files and directories so that no reader ever sees half of one.

A file is written to a temporary name beside the target, flushed to disk, then renamed over it (a
rename is atomic on POSIX file systems). A directory (a checkpoint, a CLI run) is assembled beside
the target and published with :func:`publish_dir`, under a lock file, by an atomic exchange where
the system has one (Linux ``renameat2(RENAME_EXCHANGE)``), so that at every instant the target is
the complete old directory or the complete new one. Elsewhere the old directory is renamed aside
first and :func:`current_dir` lets readers find it there. A killed writer's leftovers
(``.NAME.tmp-*``, ``.NAME.old-*``) are removed by the next writer or reader of that path.

>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "notes.txt"
...     atomic_write_text(p, "chain rule\\n")
...     p.read_text(), sorted(x.name for x in pathlib.Path(d).iterdir())
('chain rule\\n', ['notes.txt'])
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import stat
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, writers are not serialised
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_open",
    "atomic_write_text",
    "clean_orphans",
    "current_dir",
    "dir_lock",
    "fresh_sibling",
    "fsync_dir",
    "open_published",
    "publish_dir",
]

LOCK_TIMEOUT = 120.0
"""Seconds a writer waits for another process's save of the same path before giving up."""

fault_hook: Callable[[str], None] | None = None
"""Test hook: called with the name of each step of a directory save (fault-injection tests)."""


def fault_point(step: str) -> None:
    """Mark a step of a save; fault-injection tests kill the process here."""
    if fault_hook is not None:
        fault_hook(step)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success, fsync it and rename it to ``path``.

    ``mode`` is "w" (text) or "wb". On an exception the temporary file is removed and ``path``
    is left as it was. The file gets the usual permissions (those the umask allows).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, mode.replace("w", "x"), **kwargs) as f:  # exclusive create
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


# ---------------------------------------------------------------------------------- directories
def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a directory's entries (new files, renames) durable; a no-op where unsupported."""
    if os.name == "nt":  # pragma: no cover - Windows cannot open a directory
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def fresh_sibling(target: Path, tag: str, create: bool = False) -> Path:
    """An unused hidden name ``.NAME.TAG-XXXXXXXX`` beside ``target`` (a new directory if ``create``).

    >>> import pathlib
    >>> fresh_sibling(pathlib.Path("/nowhere/run"), "tmp").name.startswith(".run.tmp-")
    True
    """
    for _ in range(100):
        candidate = target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}")
        if create:
            try:
                candidate.mkdir()  # the usual permissions, unlike mkdtemp's 0o700
            except FileExistsError:
                continue
            return candidate
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(f"could not find a free temporary name beside {target}")


def _siblings(target: Path, tag: str) -> list[Path]:
    prefix = f".{target.name}.{tag}-"
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return [target.parent / n for n in names if n.startswith(prefix)]


def _aside_copy(target: Path) -> Path | None:
    """The old directory a killed fallback swap left renamed aside (the newest), if any."""
    olds = []
    for p in _siblings(target, "old"):
        try:
            info = os.lstat(p)
        except OSError:  # removed meanwhile
            continue
        if stat.S_ISDIR(info.st_mode):
            olds.append((info.st_ctime_ns, p))
    return max(olds)[1] if olds else None


def current_dir(target: Path) -> Path:
    """Where the directory published at ``target`` is now: ``target``, or, where a swap without
    an atomic exchange was cut between its two renames, the old copy renamed aside."""
    if os.path.lexists(target):
        return target
    return _aside_copy(target) or target


_held = threading.local()


def _lock_file(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _try_lock(target: Path, wait: bool) -> int | None:
    """An fd holding the exclusive lock on ``target`` (None if busy and not ``wait``)."""
    lock = _lock_file(target)
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if not wait:
                return None
            if time.monotonic() > deadline:
                raise TimeoutError(
                    errno.ETIMEDOUT,
                    f"another process has been writing {target} for over {LOCK_TIMEOUT:.0f} s "
                    f"(it holds {lock.name}); try again when it has finished",
                    str(target),
                ) from None
            time.sleep(0.005)
            continue
        try:  # the holder before us may have unlinked the file: lock the one at the path
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextmanager
def dir_lock(target: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the writers' lock of ``target`` (the file ``.NAME.lock`` beside it) in this block.

    Yields True when held (re-entrant within a thread), False when ``wait`` is False and another
    writer holds it. Killed holders release it (the kernel drops their ``flock``). The lock file
    is removed on release, so nothing is left beside ``target``.
    """
    key = str(target)
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if fcntl is None or key in held:
        yield True
        return
    fd = _try_lock(target, wait)
    if fd is None:
        yield False
        return
    held.add(key)
    try:
        yield True
    finally:
        held.discard(key)
        try:
            os.unlink(_lock_file(target))
        except OSError:
            pass
        os.close(fd)


def clean_orphans(target: Path, keep: Path | None = None) -> None:
    """Remove what killed saves of ``target`` left (``.NAME.tmp-*``, ``.NAME.old-*``, but not
    ``keep``), first moving a cut swap's aside copy back to ``target``. Only when no writer
    holds the lock (or this thread does)."""
    stale = os.path.lexists(_lock_file(target))  # a killed writer's lock file
    if not (stale or _siblings(target, "tmp") or _siblings(target, "old")):
        return
    try:
        with dir_lock(target, wait=False) as held:
            if not held:
                return  # a live writer's temporaries, not orphans
            fault_point("clean")
            aside = None if os.path.lexists(target) else _aside_copy(target)
            if aside is not None:
                os.rename(aside, target)
                fsync_dir(target.parent)
            for orphan in _siblings(target, "tmp") + _siblings(target, "old"):
                if orphan != keep:
                    shutil.rmtree(orphan, ignore_errors=True)
    except OSError:  # e.g. a reader without write access: cleaning up is best effort
        pass


_libc: Any = None


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """Linux ``renameat2``; False where the system or file system does not offer it."""
    global _libc
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(_libc, "renameat2", None)
    if fn is None:  # pragma: no cover - glibc older than 2.28
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), ctypes.c_uint(flags)) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(src), None, str(dst))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (RENAME_EXCHANGE); False where unsupported."""
    return _renameat2(a, b, 2)


def _rename_new(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, never replacing something at ``dst`` (RENAME_NOREPLACE)."""
    try:
        done = _renameat2(src, dst, 1)
    except FileExistsError:
        done = False
    if not done:
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "exists already", str(dst))
        os.rename(src, dst)


def publish_dir(
    staged: Path,
    target: Path,
    overwrite: bool,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Put the finished directory ``staged`` at ``target``; the one place directories are published.

    Under ``target``'s writer lock: a killed save's leftovers are cleaned up; a new ``target`` is
    renamed into place; an existing one is refused with ``FileExistsError`` unless ``overwrite``,
    then checked with ``check(target)`` (which raises to refuse) and swapped with the new one
    atomically. Everything is fsynced. On an error ``target`` is left as it was.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     run = pathlib.Path(d) / "run"
    ...     for text in ("old", "new"):
    ...         stage = fresh_sibling(run, "tmp", create=True)
    ...         _ = (stage / "result.txt").write_text(text)
    ...         publish_dir(stage, run, overwrite=True)
    ...     (run / "result.txt").read_text(), sorted(p.name for p in run.parent.iterdir())
    ('new', ['run'])
    """
    staged, target = Path(staged), Path(target)
    with dir_lock(target):
        clean_orphans(target, keep=staged)
        fault_point("locked")
        if not os.path.lexists(target):
            _rename_new(staged, target)
            fault_point("renamed")
            fsync_dir(target.parent)
            return
        if not overwrite:
            raise FileExistsError(
                errno.EEXIST,
                "the path already exists; pass overwrite=True (--overwrite) to replace it",
                str(target),
            )
        if check is not None:
            check(target)
        if not staged.name.startswith(f".{target.name}.tmp-"):
            # the old directory ends up at this name: make it one that clean_orphans knows
            renamed = fresh_sibling(target, "tmp")
            os.rename(staged, renamed)
            staged = renamed
        fault_point("staged")
        if _exchange(staged, target):
            old = staged
        else:  # no atomic exchange: a window where readers find the old copy aside
            old = fresh_sibling(target, "old")
            os.rename(target, old)
            fault_point("aside")
            try:
                os.rename(staged, target)
            except BaseException:
                os.rename(old, target)
                raise
        fault_point("swapped")
        fsync_dir(target.parent)
        try:
            shutil.rmtree(old)
        except OSError as exc:  # the new directory is in place; only the cleanup failed
            warnings.warn(f"could not remove the replaced directory {old}: {exc}", stacklevel=3)
        fault_point("cleaned")


@contextmanager
def open_published(target: Path, names: tuple[str, ...]) -> Iterator[dict[str, IO[bytes] | None]]:
    """Open the files ``names`` of the directory published at ``target``, all from one version.

    The files are opened through one handle on the directory, so a swap by a writer in between
    cannot mix versions; if the directory was swapped out and removed between opening it and
    opening its files, it is opened again. Yields ``{name: binary file or None if missing}``.
    ``ValueError`` names a file that is not a regular file.
    """
    for _ in range(1000):
        where = current_dir(target)
        try:
            dfd = os.open(where, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            if where == target and not os.path.lexists(target):
                raise
            continue  # swapped out between the look-up and the open
        files: dict[str, IO[bytes] | None] = {}
        try:
            for name in names:
                try:
                    fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
                except FileNotFoundError:
                    files[name] = None
                    continue
                files[name] = os.fdopen(fd, "rb")
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise ValueError(f"{target / name} is not a regular file")
            if None in files.values() and _swapped(target, dfd):
                continue
            yield files
            return
        finally:
            for f in files.values():
                if f is not None:
                    f.close()
            os.close(dfd)
    raise OSError(errno.EAGAIN, "the directory kept changing while it was read", str(target))


def _swapped(target: Path, dfd: int) -> bool:
    """Whether the directory open as ``dfd`` is no longer the one published at ``target``."""
    try:
        now = os.stat(current_dir(target))
    except FileNotFoundError:
        return True
    mine = os.fstat(dfd)
    return (now.st_ino, now.st_dev) != (mine.st_ino, mine.st_dev)
