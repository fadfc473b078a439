"""The --out folder of a command: it holds one run's files at a time, listed in its manifest.json.

The rule, for ``micrograd44 train`` and ``micrograd44 graph``:

- A command writes into a folder that is new, or holds no file of its names, or holds
  the files of an earlier run of the same command (listed in the folder's manifest.json).
  Anything else is refused before any work, in one line: files of the other command (a
  folder never mixes the two), or files with the command's names that no manifest lists
  (written by someone else: never silently replaced).
- The folder must be writable: a file is created and removed in it before any work.
- When the new run writes, the earlier run's files are removed first, then the new ones
  are written and listed in manifest.json; a folder never mixes two runs, even when the
  new run writes fewer files (a diverged run has no pictures). Other files in the
  folder are left alone.
- A file is removed only when it is the command's own: one of the names it is about to
  write, or a file the manifest lists with the size and modification time it had when
  the earlier run wrote it (its stamp), still unchanged. A file a manifest lists without
  a matching stamp (``notes.md`` added to the list by hand) is left alone and dropped
  from the list. A manifest that lists a folder, or is not a manifest, is refused.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Collection
from pathlib import Path

from ..files import read_json, write_text_atomic
from .errors import CommandError

MANIFEST = "manifest.json"
_FORMAT = "micrograd44.run"

# a manifest is a short list of names; anything larger is not one of ours
_MANIFEST_MAX_BYTES = 64 * 1024

# how many file names a refusal lists before "and N more"
_LISTED = 5


@dataclasses.dataclass
class RunFolder:
    """A checked --out folder and the files of the earlier run of the same command in it."""

    path: Path
    command: str
    previous: list[str]
    stamps: dict[str, list[int]] = dataclasses.field(default_factory=dict)

    def begin(self, names: Collection[str]) -> None:
        """Remove the earlier run's files; list ``names`` (the files about to be written) in the manifest."""
        own = [name for name in self.previous if name in names or _unchanged(self.path / name, self.stamps)]
        kept = {name: stamp for name, stamp in self.stamps.items() if name in own}
        _write_manifest(self.path, self.command, sorted(set(own) | set(names)), kept)
        for name in own:
            try:
                os.unlink(self.path / name)
            except FileNotFoundError:
                pass
        _write_manifest(self.path, self.command, sorted(names), {})
        self.previous, self.stamps = sorted(names), {}

    def finish(self, written: Collection[str]) -> None:
        """List in the manifest exactly the files this run wrote, each with its stamp."""
        self.previous = sorted(written)
        self.stamps = {name: stamp for name in self.previous if (stamp := _stamp(self.path / name))}
        _write_manifest(self.path, self.command, self.previous, self.stamps)


def _stamp(path: Path) -> list[int] | None:
    """[size, modification time in ns] of a file, None when it is not there."""
    try:
        status = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return [status.st_size, status.st_mtime_ns]


def _unchanged(path: Path, stamps: dict[str, list[int]]) -> bool:
    """True when the file still has the stamp the manifest recorded for it."""
    return path.name in stamps and _stamp(path) == stamps[path.name]


def claim(path: str, command: str, names: Collection[str]) -> RunFolder:
    """The --out folder, created if needed, checked as the module docstring says.

    Args:
        path: the --out value.
        command: the command's name ("train", "graph").
        names: every file name the command may write there.

    Raises:
        CommandError: the folder cannot be created or written, or holds files the rule
            does not let this command replace.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"--out {path}: cannot create the folder ({error.strerror or error})") from None
    owner, previous, stamps = _read_manifest(folder, path)
    if owner is not None and owner != command:
        raise CommandError(
            f"--out {path}: holds the files of a `micrograd44 {owner}` run ({_names(previous)}); "
            "a folder holds one run: choose another --out, or delete them"
        )
    strangers = [name for name in names if name not in previous and os.path.lexists(folder / name)]
    if strangers:
        raise CommandError(
            f"--out {path}: {_names(strangers)} already there, not written by an earlier "
            f"`micrograd44 {command}` run (no {MANIFEST} lists them); choose another --out, or delete them"
        )
    folders = [name for name in previous if (folder / name).is_dir() and not (folder / name).is_symlink()]
    if folders:
        raise CommandError(
            f"--out {path}: {MANIFEST} lists {_names(folders)}, a folder, where a run has files only; "
            f"delete {MANIFEST}"
        )
    _check_writable(folder, path)
    return RunFolder(folder, command, previous, stamps)


def owner_of(file: Path) -> str | None:
    """The command whose run in file's folder wrote ``file`` (per that folder's manifest), or None."""
    owner, previous, _ = _read_manifest(file.parent, str(file.parent))
    return owner if file.name in previous or file.name == MANIFEST and owner else None


def _names(names: list[str]) -> str:
    """Up to _LISTED names, then 'and N more'."""
    shown = ", ".join(names[:_LISTED])
    return shown if len(names) <= _LISTED else f"{shown} and {len(names) - _LISTED} more"


def _read_manifest(folder: Path, shown: str) -> tuple[str | None, list[str], dict[str, list[int]]]:
    """(command, files, stamps) from the folder's manifest; (None, [], {}) without one.

    Raises:
        CommandError: the manifest cannot be read, or is not a micrograd44 run manifest.
    """
    path = folder / MANIFEST
    if not os.path.lexists(path):
        return None, [], {}
    try:
        document = read_json(path, _MANIFEST_MAX_BYTES)
    except (OSError, ValueError) as error:
        raise CommandError(f"--out {shown}: {MANIFEST} cannot be read ({error}); delete it") from None
    if not isinstance(document, dict):
        document = {}  # a list, a number...: not a manifest
    files, command, stamps = document.get("files"), document.get("command"), document.get("stamps", {})
    valid = document.get("format") == _FORMAT and isinstance(command, str) and isinstance(files, list)
    names_valid = valid and all(isinstance(name, str) and _plain_name(name) for name in files)
    if not names_valid or not _stamps(stamps):
        raise CommandError(f"--out {shown}: {MANIFEST} is not a micrograd44 run manifest; delete it")
    return command, files, stamps


def _stamps(stamps) -> bool:
    """True for {name: [size, mtime_ns]}, the stamps of a manifest."""
    return isinstance(stamps, dict) and all(
        isinstance(stamp, list) and len(stamp) == 2 and all(type(part) is int for part in stamp)
        for stamp in stamps.values()
    )


def _plain_name(name: str) -> bool:
    """True for a file name inside the folder: no separator, not '', '.', '..' or the manifest."""
    return name not in ("", ".", "..", MANIFEST) and "/" not in name and os.sep not in name


def _write_manifest(folder: Path, command: str, files: list[str], stamps: dict[str, list[int]]) -> None:
    """manifest.json: which command's run the folder holds, its files and their stamps."""
    document = {"format": _FORMAT, "command": command, "files": files, "stamps": stamps}
    write_text_atomic(folder / MANIFEST, json.dumps(document, indent=1) + "\n")


def _check_writable(folder: Path, shown: str) -> None:
    """Create and remove a file in the folder; CommandError saying why when that fails."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".micrograd44-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise CommandError(
            f"--out {shown}: cannot write in this folder ({error.strerror or error})"
        ) from None
