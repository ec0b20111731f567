"""Write outputs completely or not at all, one run at a time, and never an officer's own file.

Two tools:

- `replace_atomically(path)`: one file, written under a unique temporary name beside
  it and renamed over `path` once complete (the template command, and every file
  written inside a run).
- `OutputFolder(root)`: a whole run as one transaction. It takes an exclusive lock on
  `root` (`.dang-chay.lock`, released by the OS if the process dies, removed at the
  end of the run), gives a staging folder `root/.dang-ghi-<random>/` to write into,
  and on success moves each file written there over the live one, file by file. On
  any exception, Ctrl-C included, the live outputs are left as they were.

The output folder is shared with the officer, who saves edited reports and notes
beside the outputs. So a run replaces only files: the ones it writes now, and those
a previous run wrote that it no longer writes (a district gone from the input). What
the tool wrote is listed in `tep-do-cong-cu-ghi.txt`, an ordinary visible text file
that says so to whoever opens it; every file not listed there is the officer's and
is never touched. Every temporary name made here starts with "." so that input
discovery ignores it, and none outlives the run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Literal

from pipeline.reading import text_files

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

LOCK_NAME = ".dang-chay.lock"
STAGING_PREFIX = ".dang-ghi-"
ASIDE_PREFIX = ".ban-cu-"
MANIFEST = "tep-do-cong-cu-ghi.txt"
MANIFEST_HEADER = """\
# Các tệp dưới đây do công cụ thẩm định ghi. Lần chạy sau ghi đè chúng, và xoá tệp nào
# trong danh sách mà lần chạy đó không còn ghi (ví dụ bảng tính của một huyện không còn
# trong hồ sơ), ở các thư mục năm nó ghi. Mọi tệp khác trong thư mục kết quả được giữ
# nguyên: muốn sửa một tệp kết quả, hãy lưu bản sửa dưới tên khác.
# Files written by the appraisal tool: the next run replaces them, and removes those it no
# longer writes in the year folders it writes. Any other file is kept; save edits under
# another name.
"""


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
            csv_out.write_results(view, out.path("2024"))  # write into the staging folder
            written = [out.live(p) for p in ...]       # where those files will be
        # here each file written has replaced the previous one

    On success each file written under `out.path(...)` replaces `root/<the same path>`,
    and the files a previous run wrote (listed in `MANIFEST`) that this run did not are
    removed where this run owns them: in the year folders it wrote (a district no longer
    in the input), and beside them at the top (`xa-chua-ro-nam.csv` when every commune
    now has a year). The previous run's files of other years stay, and so does every
    file the tool did not write. A run that wrote nothing changes nothing.

    Raises OutputError on entry when another run holds the folder, and on exit when a
    file cannot be replaced (a file open in Excel): the previous outputs then stay.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
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
        if rel.is_absolute() or ".." in rel.parts or not rel.parts or rel.as_posix() == MANIFEST:
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
        """Move each file written over the live one, and the tool's files no longer written aside; then the
        moved-aside folder into staging (the commit point: removed with it) and the list of the tool's files.

        If a step fails (or is interrupted), undo the steps done and raise: the live outputs stay as they were.
        Before the first move the list names every file this run may leave, so that a run killed while moving
        (whose next run puts the previous files back: `_recover`) leaves no file of the tool unlisted.
        """
        assert self.staging is not None
        written = _files_under(self.staging)
        if not written:
            return
        previous = {rel for rel in _listed(self.root) if _plain_file(self.root / rel)}
        owned = {_year_folder(rel) for rel in written} | {""}  # the files beside the year folders describe the run
        stale = sorted(rel for rel in previous - set(written) if _year_folder(rel) in owned)
        _write_manifest(self.staging / MANIFEST, previous | set(written))
        try:
            aside = _unique(self.root, ASIDE_PREFIX, "", os.mkdir)
        except OSError as e:
            raise _cannot_write(self.root, e) from e
        swap = _Swap(self.root, aside)
        try:
            for rel in [MANIFEST, *written]:
                swap.put(self.staging / rel, rel)
            for rel in stale:
                swap.drop(rel)
            os.rename(aside, self.staging / aside.name)
        except BaseException as e:
            swap.undo()
            if isinstance(e, OSError):
                raise _failed(swap.current, e) from e
            raise
        _write_manifest(self.root / MANIFEST, previous - set(stale) | set(written))


class _Swap:
    """The moves of a commit, each one recorded so that `undo` can put everything back."""

    def __init__(self, root: Path, aside: Path):
        self.root, self.aside = root, aside
        self.current = root  # the live path being moved, for the message if that fails
        self._moves: list[tuple[Path, Path]] = []
        self._made: list[Path] = []  # live folders this commit created

    def put(self, new: Path, rel: str) -> None:
        """`new` replaces `root/rel`, whose previous version goes aside."""
        self.drop(rel)
        self._make_folders(self.current.parent)
        self._move(new, self.current)

    def drop(self, rel: str) -> None:
        """`root/rel`, if there is one, goes aside."""
        self.current = self.root / rel
        if os.path.lexists(self.current):
            (self.aside / rel).parent.mkdir(parents=True, exist_ok=True)
            self._move(self.current, self.aside / rel)  # fails on Windows while the file is open in Excel

    def undo(self) -> None:
        """Every move back, the folders made removed; the moved-aside folder too once it is empty."""
        for source, target in reversed(self._moves):
            with contextlib.suppress(OSError):
                os.rename(target, source)
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        if not _files_under(self.aside, hidden=True):  # otherwise the next run puts back what is left
            shutil.rmtree(self.aside, ignore_errors=True)

    def _move(self, source: Path, target: Path) -> None:
        os.rename(source, target)
        self._moves.append((source, target))

    def _make_folders(self, folder: Path) -> None:
        missing = []
        while not os.path.lexists(folder):
            missing.append(folder)
            folder = folder.parent
        for each in reversed(missing):
            each.mkdir()
            self._made.append(each)


def _failed(path: Path, e: OSError) -> OutputError:
    """The officer's message when moving `path` failed."""
    return _open_elsewhere(path) if isinstance(e, PermissionError) else _cannot_write(path, e)


def _year_folder(rel: str) -> str:
    """The top folder of a path the tool wrote (a year), "" for a file at the top of the output folder."""
    parts = PurePosixPath(rel).parts
    return parts[0] if len(parts) > 1 else ""


def _files_under(folder: Path, hidden: bool = False) -> list[str]:
    """The files under `folder`, as sorted relative POSIX paths; those under a "." name only if `hidden`."""
    found = []
    for parent, folders, names in os.walk(folder):
        if not hidden:
            folders[:] = [f for f in folders if not f.startswith(".")]
            names = [n for n in names if not n.startswith(".")]
        found += [(Path(parent) / n).relative_to(folder).as_posix() for n in names]
    return sorted(found)


def _plain_file(path: Path) -> bool:
    """A regular file, not a link (a link there is the officer's, not the tool's)."""
    return path.is_file() and not path.is_symlink()


def _listed(root: Path) -> set[str]:
    """The files `MANIFEST` says the tool wrote. Lines that are not a plain relative path inside the folder are
    ignored; a list that is missing or cannot be read names nothing, so that nothing is removed."""
    try:
        text = text_files.decode((root / MANIFEST).read_bytes())
    except (OSError, text_files.UnreadableText):
        return set()
    listed = set()
    for line in text.splitlines():
        rel = PurePosixPath(line.strip())
        if line.strip() and not line.startswith("#") and _inside(rel) and rel.as_posix() != MANIFEST:
            listed.add(rel.as_posix())
    return listed


def _inside(rel: PurePosixPath) -> bool:
    """A path a run may have written: relative, no "..", no hidden part, no Windows drive or separator."""
    return not rel.is_absolute() and all(
        p not in ("", "..") and p[0] != "." and not set(p) & set(":\\") for p in rel.parts
    )


def _write_manifest(path: Path, listed: Iterable[str]) -> None:
    """The list of the tool's files, with a header that tells the officer what it is."""
    with replace_atomically(path) as tmp:
        tmp.write_text(MANIFEST_HEADER + "".join(f"{rel}\n" for rel in sorted(listed)), encoding="utf-8")


def _recover(root: Path) -> None:
    """Clean up after a run that was killed: remove its staging folder (with what it had moved aside, if it had
    committed); put back the previous outputs it had moved aside while committing. The killed run's list of
    files stays: it names the new files it may have moved in, which the next run replaces or removes."""
    for entry in root.iterdir():
        if entry.name.startswith(STAGING_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(ASIDE_PREFIX) and entry.is_dir():
            for rel in _files_under(entry, hidden=True):
                live = root / rel
                if rel == MANIFEST and os.path.lexists(live):
                    continue
                live.parent.mkdir(parents=True, exist_ok=True)
                os.replace(entry / rel, live)
            shutil.rmtree(entry, ignore_errors=True)


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
