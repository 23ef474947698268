"""Readers: turn an input path into batches of raw JSON text with locations.

Every reader yields :class:`RawBatch` objects: an Arrow table of
``(loc BIGINT, text VARCHAR)`` where ``loc`` is the line number, array element
or SQLite rowid, plus the records that were already bad before any JSON
parsing (invalid UTF-8, absurdly long lines). Parsing, validation and
normalisation of the text happen later, in DuckDB, a whole batch at a time.

JSON-lines files are split into lines with NumPy over large blocks and handed
to Arrow without copying, so memory stays bounded by the block size whatever
the size of the file.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TYPE_CHECKING


from .._errors import InputError, one_line
from .._lazy import lazy_module
from ._types import RAW_KEEP, RawBatch, raw_schema

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pyarrow as pa
else:
    duckdb = lazy_module("duckdb")
    np = lazy_module("numpy")
    pa = lazy_module("pyarrow")

#: a line longer than this is rejected without being parsed
MAX_LINE_BYTES = 1 << 20
#: bytes read from a JSON-lines file per block
BLOCK_BYTES = 64 << 20
#: rows per batch for SQLite and JSON-array inputs
BATCH_ROWS = 100_000

_SQLITE_MAGIC = b"SQLite format 3\x00"
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_SUFFIXES = {".jsonl", ".ndjson", ".json", ".db", ".sqlite", ".sqlite3"}

#: rows per Arrow record batch handed to DuckDB (its unit of parallel work)
_CHUNK_ROWS = 16_384



@dataclass(frozen=True)
class Source:
    """An input the ingest knows how to read."""

    path: Path
    #: ``jsonl``, ``audit`` (PraisonAI audit.jsonl), ``trace`` (PraisonAI replay
    #: trace), ``json-array`` or ``sqlite``
    kind: str
    #: name recorded in ``activity.source`` and ``rejects.source``
    name: str
    gzipped: bool = False

    @property
    def loc_label(self) -> str:
        return {"json-array": "element", "sqlite": "rowid"}.get(self.kind, "line")

    def size(self) -> int:
        return self.path.stat().st_size

    def batches(self) -> Iterator[RawBatch]:
        if self.kind in ("jsonl", "audit", "trace"):
            return _jsonl_batches(self)
        if self.kind == "json-array":
            return _array_batches(self)
        raise ValueError(f"{self.kind}: read by ingest._database")

    def locate(self, rejected: dict[int, str], records: int) -> list[tuple[int, str, str]] | None:
        """Where the ``rejected`` records of a JSON-lines file are, as (line, reason,
        text): keys count non-blank lines from 1, as DuckDB's reader numbers
        records. None when this is not a JSON-lines file, or its reading and
        DuckDB's disagree (a count of ``records`` in all). One pass, at the speed
        of reading."""
        if self.kind != "jsonl":
            return None
        found, n = [], 0
        stream, raw = _open_binary(self.path, self.gzipped)
        try:
            with raw, stream:
                for line_no, line in enumerate(stream, 1):
                    if line_no == 1 and line.startswith(_BOM):
                        line = line[len(_BOM):]
                    if line.strip():
                        n += 1
                        if n in rejected:
                            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
                            found.append((line_no, rejected[n], text))
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self.name}: cannot read: {exc}") from exc
        return found if n == records and len(found) == len(rejected) else None


def _open_binary(path: Path, gzipped: bool) -> tuple[BinaryIO, BinaryIO]:
    """Return (stream to read, underlying file whose position shows progress)."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    return (gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw), raw


def _head(path: Path, gzipped: bool, size: int = 64 * 1024) -> bytes:
    """The first ``size`` bytes of content (decompressed; tolerant of a truncated file)."""
    try:
        with open(path, "rb") as fh:
            if not gzipped:
                return fh.read(size)
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = b""
            while len(out) < size and (chunk := fh.read(64 * 1024)):
                out += inflater.decompress(chunk, size - len(out))
                if inflater.eof:
                    break
            return out
    except (OSError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _looks_like_audit(record: object) -> bool:
    return (
        isinstance(record, dict)
        and "tool_name" in record
        and "timestamp" in record
        and "action" not in record
    )


def _looks_like_trace(record: object) -> bool:
    """A PraisonAI ``ContextEvent`` (replay trace line)."""
    return (
        isinstance(record, dict)
        and "event_type" in record
        and "sequence_num" in record
        and ("run_id" in record or "session_id" in record)
        and "action" not in record
    )


def _parsed_lines(body: bytes, complete: bool, limit: int = 20) -> list[object]:
    """JSON values of the first ``limit`` non-blank lines that parse."""
    lines = body.split(b"\n")
    if not complete:
        lines = lines[:-1]  # the last one may be cut by the head's end
    values = []
    for line in lines:
        if not line.strip():
            continue
        try:
            values.append(json.loads(line))
        except ValueError:
            pass
        limit -= 1
        if limit == 0:
            break
    return values


def detect(path: Path, name: str | None = None) -> Source:
    """Work out what kind of input ``path`` is, from its content, not its name.

    A SQLite file by its magic bytes; a JSON array when the content starts
    with ``[`` and is not several JSON lines; JSON lines when one of the first
    lines is JSON (an audit log or a replay trace when its first object has
    the fields of PraisonAI's). Anything else is refused here, before a single record is stored.
    """
    name = name or str(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(16)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if magic.startswith(_SQLITE_MAGIC):
        return Source(path, "sqlite", name)
    gzipped = magic.startswith(_GZIP_MAGIC)
    size = 64 * 1024
    head = _head(path, gzipped, size)
    complete = len(head) < size
    body = head[3:] if head.startswith(_BOM) else head
    stripped = body.lstrip()
    if not stripped:
        return Source(path, "jsonl", name, gzipped)  # empty: nothing to load
    values = _parsed_lines(stripped, complete)
    first_line = stripped.split(b"\n", 1)[0]
    if stripped[:1] == b"[" and not (len(values) > 1 and values[0] is not None and _complete(first_line)):
        return Source(path, "json-array", name, gzipped)
    if values:
        first_object = next((v for v in values if isinstance(v, dict)), None)
        kind = ("audit" if _looks_like_audit(first_object)
                else "trace" if _looks_like_trace(first_object) else "jsonl")
        return Source(path, kind, name, gzipped)
    if b"\n" not in stripped and not complete:
        return Source(path, "jsonl", name, gzipped)  # one huge first line: let the reader judge
    if stripped[:1] == b"{":
        raise InputError(
            f"{path}: line 1 is not a complete JSON object; expected JSON lines "
            "(one object per line) or a JSON array"
        )
    shown = stripped[:20].decode("utf-8", "replace").encode("unicode_escape").decode()
    raise InputError(
        f"{path}: not JSON, JSON lines or a SQLite database (starts with {shown!r})"
    )


def _complete(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def expand(paths: list[str | os.PathLike[str]]) -> tuple[list[Source], list[Path]]:
    """Resolve the command line's paths to sources; returns (sources, skipped files).

    Checks every path before anything is read, so a typo fails the run at once.
    Directories are walked recursively; inside them only files with a known
    suffix (.jsonl, .ndjson, .json, .db, .sqlite, .sqlite3, optionally .gz) are
    taken. ``-`` reads standard input (spooled to a temporary file first).
    """
    sources: list[Source] = []
    skipped: list[Path] = []
    for given in paths:
        if os.fspath(given) == "-":
            sources.append(_spool_stdin())
            continue
        path = Path(given)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                suffixes = child.suffixes[-2:]
                if suffixes and suffixes[-1] == ".gz":
                    suffixes = suffixes[:-1]
                if suffixes and suffixes[-1].lower() in _SUFFIXES:
                    sources.append(detect(child))
                else:
                    skipped.append(child)
        elif path.exists():
            sources.append(detect(path))
        else:
            raise InputError(f"{path}: no such file or directory")
    return sources, skipped


def _spool_stdin() -> Source:
    tmp = tempfile.NamedTemporaryFile(prefix="activity-stdin-", delete=False)  # noqa: SIM115
    with tmp:
        shutil.copyfileobj(sys.stdin.buffer, tmp, 1 << 20)
    return detect(Path(tmp.name), name="stdin")


# --------------------------------------------------------------------- JSON lines


def _lines_table(block: bytes, first_line: int, bad: list[tuple[int, str, str]]) -> pa.Table:
    """Arrow table of the complete lines in ``block`` (which ends with a newline)."""
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10) + 1
    n = len(ends)
    offsets = np.empty(n + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = ends
    lengths = np.diff(offsets)
    data = block
    blank_out: list[int] = []
    long_rows = np.flatnonzero(lengths > MAX_LINE_BYTES)
    for i in long_rows:
        start = int(offsets[i])
        keep = block[start : start + RAW_KEEP].decode("utf-8", "replace")
        bad.append((first_line + int(i), f"line longer than {MAX_LINE_BYTES} bytes", keep))
        blank_out.append(int(i))
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        blank_out_set = set(blank_out)
        pos = 0
        while True:
            try:
                block[pos:].decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                i = int(np.searchsorted(ends, pos + exc.start, side="right"))
                if i not in blank_out_set:
                    line = block[offsets[i] : offsets[i + 1]].rstrip(b"\r\n")
                    bad.append(
                        (first_line + i, "invalid UTF-8", line[:RAW_KEEP].decode("utf-8", "replace"))
                    )
                    blank_out.append(i)
                    blank_out_set.add(i)
                pos = int(offsets[i + 1])
    if blank_out:
        # Replace the bad lines' bytes with spaces: offsets stay, the lines read as blank.
        buf = bytearray(block)
        for i in blank_out:
            buf[offsets[i] : offsets[i + 1] - 1] = b" " * (int(lengths[i]) - 1)
        data = bytes(buf)
    texts = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    locs = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    # A line is blank when it has no byte other than space, tab, CR and LF. Lines
    # of JSON start with ink, so only the few that start with white space are looked at.
    view = np.frombuffer(data, dtype=np.uint8)
    first = view[offsets[:-1]]
    blank = (first == 32) | (first == 9) | (first == 10) | (first == 13)
    for i in np.flatnonzero(blank):
        blank[i] = not data[offsets[i] : offsets[i + 1]].strip()
    table = pa.Table.from_arrays([locs, texts, pa.array(blank)], schema=raw_schema())
    # Several record batches, so that DuckDB scans them on all cores.
    return pa.Table.from_batches(table.to_batches(max_chunksize=_CHUNK_ROWS))


def _jsonl_batches(source: Source) -> Iterator[RawBatch]:
    stream, raw = _open_binary(source.path, source.gzipped)
    line_no = 1
    carry = b""
    skipping = False  # inside an over-long line, dropping bytes until its newline
    first = True
    try:
        while True:
            try:
                chunk = stream.read(BLOCK_BYTES)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(
                    f"{source.name}: cannot read past line {line_no}: {exc}"
                ) from exc
            if first:
                if chunk.startswith(_BOM):
                    chunk = chunk[3:]
                first = False
            bad: list[tuple[int, str, str]] = []
            if not chunk:
                if carry and not skipping:
                    block = carry + b"\n"
                    carry = b""
                    yield RawBatch(_lines_table(block, line_no, bad), bad, raw.tell())
                return
            if skipping:
                nl = chunk.find(b"\n")
                if nl < 0:
                    continue
                chunk = chunk[nl + 1 :]
                skipping = False
                line_no += 1
            cut = chunk.rfind(b"\n")
            if cut < 0:
                carry += chunk
                if len(carry) > MAX_LINE_BYTES:
                    keep = carry[:RAW_KEEP].decode("utf-8", "replace")
                    bad.append((line_no, f"line longer than {MAX_LINE_BYTES} bytes", keep))
                    carry = b""
                    skipping = True
                    yield RawBatch(raw_schema().empty_table(), bad, raw.tell())
                continue
            block = carry + chunk[: cut + 1]
            carry = chunk[cut + 1 :]
            table = _lines_table(block, line_no, bad)
            line_no += table.num_rows
            yield RawBatch(table, bad, raw.tell())
    finally:
        stream.close()
        raw.close()


# --------------------------------------------------------------------- JSON array


def _array_batches(source: Source) -> Iterator[RawBatch]:
    reader = duckdb.connect()
    try:
        try:
            result = reader.sql(
                "SELECT row_number() OVER () AS loc, CAST(json AS VARCHAR) AS text "
                "FROM read_json($path, format = 'array', records = false, "
                "columns = {'json': 'JSON'}, compression = $compression, "
                "maximum_object_size = 16777216)",
                params={"path": str(source.path), "compression": "gzip" if source.gzipped else "none"},
            )
            batches = result.to_arrow_reader(BATCH_ROWS)
            for batch in batches:
                table = pa.Table.from_batches([batch])
                table = table.append_column("blank", pa.array(np.zeros(table.num_rows, dtype=bool)))
                yield RawBatch(table.cast(raw_schema()), [], source.size())
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            message = one_line(exc)
            raise InputError(f"{source.name}: not a valid JSON array: {message}") from exc
    finally:
        reader.close()
