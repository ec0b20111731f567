"""Write outputs completely or not at all, and one run at a time.

Two tools:

- `replace_atomically(path)`: one file, written under a unique temporary name beside
  it and renamed over `path` once complete (the template command, and every file
  written inside a run).
- `OutputFolder(root)`: a whole run as one transaction. It takes an exclusive lock on
  `root` (`.dang-chay.lock`, released by the OS if the process dies, removed at the
  end of the run), gives a staging folder `root/.dang-ghi-<random>/` to write into,
  and on success swaps each top-level entry written there (a year folder, a file such
  as `xa-chua-ro-nam.csv`) for the live one. On any exception, Ctrl-C included, the
  staging folder is removed and the live outputs are left as they were.

Every name made here starts with "." so that input discovery and people ignore it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

LOCK_NAME = ".dang-chay.lock"
STAGING_PREFIX = ".dang-ghi-"
ASIDE_PREFIX = ".ban-cu-"


class OutputError(Exception):
    """An output file could not be written (most often: it is open in Excel, which locks it)."""


# -- one file ---------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def replace_atomically(path: Path):
    """Yield a fresh, empty temporary path next to `path` (a unique `.<name>.<random>.tmp`);
    once the block has written it, rename it over `path`. On any exception the temporary
    file is removed and `path` is left as it was."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _unique(path.parent, f".{path.name}.", ".tmp", _create_file)
        yield tmp
        os.replace(tmp, path)
    except PermissionError as e:
        raise _open_elsewhere(path) from e
    except OSError as e:
        raise _cannot_write(path, e) from e
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def _create_file(path: Path) -> None:
    # O_EXCL: never someone else's file; 0o666 so the umask applies as for any file (mkstemp would give 0o600)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))


def _unique(parent: Path, prefix: str, suffix: str, make: Callable[[Path], None]) -> Path:
    """Make (with `make`, which must fail if it exists) and return a new entry `parent/<prefix><random><suffix>`."""
    for _ in range(100):
        candidate = parent / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            make(candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free temporary name in {parent}")


def _open_elsewhere(path: Path) -> OutputError:
    return OutputError(
        f"Không ghi được {path}: tệp đang mở trong chương trình khác hoặc không có quyền ghi; hãy đóng tệp rồi chạy lại"
    )


def _cannot_write(path: Path, e: OSError) -> OutputError:
    return OutputError(f"Không ghi được {path}: {e.strerror or e}; hãy kiểm tra thư mục kết quả")


# -- one run ----------------------------------------------------------------------------------------------------------


class OutputFolder:
    """The output folder of one run, written as a whole or not at all.

        with OutputFolder(output_dir) as out:
            csv_out.write(..., out.path("2024"))       # write into the staging folder
            written = [out.live(p) for p in ...]       # where those files will be
        # here the year folder 2024/ has replaced the previous one

    `root/<entry>` for each top-level entry written under `out.path(...)` is replaced
    whole: a year folder loses the district files no longer produced. Entries not
    written this run (earlier years, README.md, the template) stay, except the names in
    `drop_if_unwritten`, which are removed if this run did not write them (for files
    whose absence means something, such as `xa-chua-ro-nam.csv`).

    Raises OutputError on entry when another run holds the folder, and on exit when an
    entry cannot be replaced (a file open in Excel): the previous outputs then stay.
    """

    def __init__(self, root: Path, *, drop_if_unwritten: Iterable[str] = ()):
        self.root = Path(root)
        self.drop_if_unwritten = tuple(drop_if_unwritten)
        self.staging: Path | None = None  # set on entry; kept after exit so that `live` still maps paths
        self._active = False
        self._lock: _Lock | None = None

    def __enter__(self) -> OutputFolder:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _cannot_write(self.root, e) from e
        self._lock = _Lock.take(self.root)
        try:
            _recover(self.root)
            self.staging = _unique(self.root, STAGING_PREFIX, "", os.mkdir)
            self._active = True
        except OSError as e:
            self._release()
            raise _cannot_write(self.root, e) from e
        except BaseException:
            self._release()
            raise
        return self

    def path(self, relative: str | os.PathLike) -> Path:
        """Where to write `root/<relative>` during the run (inside staging); its parent folder exists."""
        if not self._active or self.staging is None:
            raise RuntimeError("OutputFolder.path() outside its `with` block")
        rel = Path(relative)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"not a relative path inside the output folder: {relative}")
        where = self.staging / rel
        where.parent.mkdir(parents=True, exist_ok=True)
        return where

    def live(self, path: Path) -> Path:
        """The path a staged file will have once the run is committed (other paths unchanged)."""
        if self.staging is None:
            return Path(path)
        try:
            return self.root / Path(path).relative_to(self.staging)
        except ValueError:
            return Path(path)

    def __exit__(self, kind, exc, tb) -> Literal[False]:
        try:
            if kind is None:
                self._commit()
        finally:
            if self._active and self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)  # what a kill leaves is removed by the next run
                self._active = False
            self._release()
        return False

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _commit(self) -> None:
        """Move each live entry to replace aside, move the new ones in, delete the old ones.
        If a step fails (or is interrupted), undo the steps done and raise: the live outputs stay as they were."""
        assert self.staging is not None
        entries = sorted(e.name for e in self.staging.iterdir() if not e.name.startswith("."))
        dropped = [n for n in self.drop_if_unwritten if n not in entries and os.path.lexists(self.root / n)]
        if not entries and not dropped:
            return
        try:
            aside = _unique(self.root, ASIDE_PREFIX, "", os.mkdir)
        except OSError as e:
            raise _cannot_write(self.root, e) from e
        moved_aside: list[str] = []
        moved_in: list[str] = []
        current = self.root
        try:
            for name in entries + dropped:
                current = self.root / name
                if os.path.lexists(current):
                    os.rename(current, aside / name)  # fails on Windows while a file inside is open in Excel
                    moved_aside.append(name)
            for name in entries:
                current = self.root / name
                os.rename(self.staging / name, current)
                moved_in.append(name)
        except BaseException as e:
            for name in reversed(moved_in):
                with contextlib.suppress(OSError):
                    os.rename(self.root / name, self.staging / name)
            for name in reversed(moved_aside):
                with contextlib.suppress(OSError):
                    os.rename(aside / name, self.root / name)
            with contextlib.suppress(OSError):
                os.rmdir(aside)  # only if everything went back; otherwise the next run restores it
            if isinstance(e, PermissionError):
                raise _open_elsewhere(_locked_file(current)) from e
            if isinstance(e, OSError):
                raise _cannot_write(current, e) from e
            raise
        shutil.rmtree(aside, ignore_errors=True)


def _recover(root: Path) -> None:
    """Clean up after a run that was killed: remove its staging folder; put back any
    previous output it had moved aside and not yet replaced, and delete the rest."""
    for entry in root.iterdir():
        if entry.name.startswith(STAGING_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(ASIDE_PREFIX) and entry.is_dir():
            for old in entry.iterdir():
                if not os.path.lexists(root / old.name):
                    os.rename(old, root / old.name)
            shutil.rmtree(entry, ignore_errors=True)


def _locked_file(path: Path) -> Path:
    """The file under `path` another program holds open for writing (Excel does), or `path` itself."""
    if not path.is_dir():
        return path
    for folder, _, names in os.walk(path):
        for name in sorted(names):
            candidate = Path(folder) / name
            try:
                with open(candidate, "r+b"):
                    pass
            except PermissionError:
                return candidate
            except OSError:
                continue
    return path


# what the OS says when another process holds the lock (lockf: EACCES or EAGAIN; msvcrt: EACCES or EDEADLOCK)
_BUSY = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK, getattr(errno, "EDEADLOCK", errno.EDEADLK)}
_TAKEN: set[tuple[int, int]] = set()  # (device, inode) of the lock files this process holds


class _Lock:
    """An exclusive lock on `root/.dang-chay.lock`, held by this process alone; the OS drops it when the process
    ends, however it ends, even if a worker process it forked lives on.

    On POSIX it is a record lock (`lockf`), which belongs to the process that took it: a forked worker shares the
    open file, not the lock. (An `flock` is shared with every forked worker, so a run killed with `kill -9` left its
    workers holding the folder: every later run was refused.) A record lock is also dropped when its process closes
    any descriptor of the file, and never conflicts with another lock of the same process: so a second run in this
    process is refused from `_TAKEN`, before it opens the file.

    The file is removed at the end of the run (no lock file stays in the officer's folder), while it is still
    locked on POSIX: a run that opened it just before and gets the lock afterwards finds it is no longer the file
    at that path, and locks the new one.
    """

    def __init__(self, fd: int, path: Path, identity: tuple[int, int]):
        self.fd, self.path, self.identity = fd, path, identity

    @classmethod
    def take(cls, root: Path) -> _Lock:
        path = root / LOCK_NAME
        while True:
            if _identity(path) in _TAKEN:
                raise _busy(root)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as e:
                raise _cannot_write(path, e) from e
            try:
                _lock(fd)
            except OSError as e:
                os.close(fd)
                if not isinstance(e, BlockingIOError) and e.errno not in _BUSY:
                    raise _cannot_write(path, e) from e
                raise _busy(root) from e
            held = os.fstat(fd)
            identity = (held.st_dev, held.st_ino)
            if _identity(path) == identity:
                _TAKEN.add(identity)
                return cls(fd, path, identity)
            os.close(fd)  # the run that held it has removed it since we opened it: the folder is free

    def release(self) -> None:
        _TAKEN.discard(self.identity)
        _unlock_and_remove(self.fd, self.path)


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None if there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _busy(root: Path) -> OutputError:
    return OutputError(f"Thư mục kết quả {root} đang được một lần chạy khác ghi; hãy đợi lần chạy đó xong rồi chạy lại")


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # OSError at once if another process holds it

    def _unlock_and_remove(fd: int, path: Path) -> None:
        """Unlocked and closed first: Windows removes no open file. For the same reason the removal fails, and the
        file stays, while another run has it open: a run that locks it next still locks the file at `path`."""
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)

else:

    def _lock(fd: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError at once if another process holds it

    def _unlock_and_remove(fd: int, path: Path) -> None:
        """Removed while still locked (see `_Lock`); closing the file drops the lock."""
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)
