"""`<runs dir>/latest`: a pointer to the newest run directory, so `--plot runs/latest` and `--eval runs/latest` work.

The pointer is a relative symlink `latest -> <run name>`, swapped in atomically (a temporary symlink renamed
over the old one), so a reader never sees it missing or half-written. Where symlinks cannot be made (some
Windows set-ups, some network filesystems) it is a small text file `latest` holding the run's name, replaced
the same way. `resolve_run_dir` follows either form. No TensorFlow here: the CLI resolves paths before it
loads anything heavy.
"""

from __future__ import annotations

import os
from pathlib import Path

from rundir.files import AtomicWrite

LATEST = "latest"
_MAX_POINTER_BYTES = 4096  # a text pointer holds one directory name; anything larger is not one


class RunPointerError(ValueError):
    """A `latest` pointer that leads nowhere."""


def update_latest_link(run_dir: Path) -> Path | None:
    """Point `<run_dir.parent>/latest` at `run_dir`; return the pointer's path.

    A convenience, never a reason to stop a run: where neither a symlink nor a text file can be put in place
    (a real directory named `latest` that a user made, a read-only runs directory) it returns None and
    leaves everything as it was.
    """
    run_dir = Path(run_dir)
    link = run_dir.parent / LATEST
    if link.is_dir() and not link.is_symlink():
        return None  # someone's own directory: not ours to replace
    try:
        with AtomicWrite(link) as tmp:
            os.symlink(run_dir.name, tmp, target_is_directory=True)
        return link
    except OSError:
        pass
    try:  # no symlinks here: a text file with the run's name, replaced atomically too
        with AtomicWrite(link) as tmp:
            tmp.write_text(run_dir.name + "\n")
        return link
    except OSError:
        return None


def resolve_run_dir(path: str | Path) -> Path:
    """The run directory `path` names: `runs/latest` (symlink or text pointer) becomes the run it points to.

    Any other path comes back unchanged, for the caller to check (and report) as it always did.
    """
    path = Path(path)
    if path.is_symlink():
        if path.exists():
            return path.resolve()
        target = os.readlink(path)
        raise RunPointerError(f"'{path}' points to '{target}', which does not exist")
    if path.name == LATEST and path.is_file():
        try:
            if path.stat().st_size > _MAX_POINTER_BYTES:
                raise RunPointerError(f"'{path}' is not a run pointer (too large)")
            name = path.read_text().strip()
        except (OSError, UnicodeDecodeError):
            raise RunPointerError(f"'{path}' is not a readable run pointer") from None
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise RunPointerError(f"'{path}' is not a run pointer (it holds {name[:60]!r})")
        target = path.parent / name
        if not target.is_dir():
            raise RunPointerError(f"'{path}' points to '{name}', which does not exist")
        return target
    return path
