"""``cache.library_digest``: one check that a library is complete, and its checksum.

The compiler probe, a build and a load from the cache all use it.
"""

from __future__ import annotations

import hashlib
import os

from micrograd44.compiled import cache


def test_a_complete_file_has_the_sha256_of_its_bytes(tmp_path):
    library = tmp_path / "a.so"
    library.write_bytes(b"not an ELF file, not inspected")
    assert cache.library_digest(library) == hashlib.sha256(library.read_bytes()).hexdigest()


def test_no_digest_for_an_empty_or_cut_short_library_a_folder_a_fifo_or_nothing(tmp_path):
    empty, cut, fifo = tmp_path / "empty.so", tmp_path / "cut.so", tmp_path / "fifo.so"
    empty.write_bytes(b"")
    cut.write_bytes(b"\x7fELF\x02\x01" + bytes(40))  # an ELF header shorter than its own size
    os.mkfifo(fifo)
    for path in (empty, cut, tmp_path, fifo, tmp_path / "missing.so"):
        assert cache.library_digest(path) is None


def test_a_checksum_matches_only_the_digest_of_a_complete_library(tmp_path):
    library, checksum = tmp_path / "a.so", tmp_path / "a.sha256"
    library.write_bytes(b"library bytes")
    checksum.write_text(hashlib.sha256(b"library bytes").hexdigest() + "\n")
    assert cache.matches_checksum(library, checksum)
    library.write_bytes(b"")
    checksum.write_text(hashlib.sha256(b"").hexdigest())
    assert not cache.matches_checksum(library, checksum)
