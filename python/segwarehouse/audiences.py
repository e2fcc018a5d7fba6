"""Export segment audiences for ad platforms from the published file: activation without a SaaS.

For each segmentation (kmeans, rfm) and segment, an export writes the segment's full
membership and its changes since the previous export, as CSV files an ad platform takes
(Google Customer Match, Meta, TikTok: hashed email), with a manifest:

    <output>/<export_id>/manifest.json
    <output>/<export_id>/<segmentation>/<segment_id>-<slug>/members.csv, added.csv, removed.csv
    <output>/state.json

Each CSV has the columns customer_id and email_sha256: SHA-256 (lowercase hex) of the trimmed,
lower-cased email, computed once in staging (macro hash_pii) and published in
marts.dim_customer_activation_identifiers; empty when the customer has no email (kept and
counted as not matchable, never dropped). Rows are compared as (customer_id, email_sha256)
pairs, so a customer whose email changed is removed with the old hash and added with the new.

"Since the previous export" means since the export that state.json names. An export is
written into a temporary folder, synced and renamed into place; state.json is replaced
(written, synced, renamed) only after that, so a crash at any point leaves the previous state
valid and the next export computes its changes from it again. An export never writes into an
existing folder: every run gets a new export id. state.json points at the members file of
each segment's last export, with its checksum; those files are the baseline of the next
export and must stay where they are.

Privacy: a segment suppressed in the KPI marts (marts.fct_segment_kpis.is_suppressed: fewer
than kpi_min_group_size customers, or the next smallest of a segmentation with exactly one
small segment) is not exported: no files, no counts, listed in the manifest as suppressed.
Its last exported audience stays the baseline until it can be exported again. The rule and
the setting are the build's, read from the published file, not restated here.

Only the published file is read (read-only), never the build warehouse. An export from a
published file whose as-of date is earlier than the state's is refused unless forced.

Usage: python -m segwarehouse.audiences --database data/demo/published.duckdb
    [--output-dir data/demo/audiences] [--force]
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from segwarehouse.publish import fsync_path
from segwarehouse.published import PublishedFileError, open_published

STATE_FILE = "state.json"
STATE_VERSION = 1
MANIFEST_FILE = "manifest.json"
MEMBER_COLUMNS = ("customer_id", "email_sha256")
MEMBERS, ADDED, REMOVED = "members.csv", "added.csv", "removed.csv"
SEGMENTATIONS = ("kmeans", "rfm")
# What the export reads (open_published also requires marts._publication).
REQUIRED_TABLES = (
    "dim_customer_segments",
    "dim_segments",
    "fct_segment_kpis",
    "dim_customer_activation_identifiers",
)
EXPORT_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")
SUPPRESSED_REASON = (
    "suppressed like the KPI marts (marts.fct_segment_kpis.is_suppressed: fewer than "
    "kpi_min_group_size customers, or the next smallest segment of a segmentation with one "
    "small segment): not exported, its sizes not shown; the last exported audience, if any, "
    "stays the baseline until the segment can be exported again"
)
IDENTIFIER = (
    "email_sha256: SHA-256 (lowercase hex) of the trimmed, lower-cased email; empty when the "
    "customer has no email (counted in unmatchable_count)"
)
START_OVER = f"To start over, move {STATE_FILE} aside: the next export then adds every member"

# A member as exported: (customer_id, email_sha256 or None).
Member = tuple[int, str | None]

MEMBERSHIPS_SQL = """
with memberships as (
    select customer_id, 'kmeans' as segmentation, segment_id
    from marts.dim_customer_segments
    -- No k-means segment without a fitted model (counted as unsegmented).
    where segment_id is not null
    union all
    select customer_id, 'rfm' as segmentation, rfm_segment_id as segment_id
    from marts.dim_customer_segments
)
select memberships.segmentation, memberships.segment_id, memberships.customer_id,
    identifiers.email_sha256
from memberships
left join marts.dim_customer_activation_identifiers as identifiers using (customer_id)
order by all
"""


class AudienceError(RuntimeError):
    """The export cannot be made; the state and earlier exports were left as they were."""


@dataclass(frozen=True)
class Segment:
    segmentation: str
    segment_id: int

    @property
    def key(self) -> str:
        return f"{self.segmentation}/{self.segment_id}"


@dataclass(frozen=True)
class PublishedAudiences:
    """What the published file says now."""

    path: Path
    publication_id: str
    as_of_date: date
    members: Mapping[Segment, frozenset[Member]]
    names: Mapping[Segment, str]
    suppressed: frozenset[Segment]
    unsegmented_counts: Mapping[str, int]


@dataclass(frozen=True)
class SegmentState:
    """A segment's last exported audience: its members file, relative to the output folder."""

    segment_name: str
    export_id: str
    members_file: str
    sha256: str
    member_count: int


@dataclass(frozen=True)
class State:
    export_id: str
    as_of_date: date
    publication_id: str
    committed_at: str
    segments: Mapping[str, SegmentState]


@dataclass(frozen=True)
class SegmentExport:
    segment: Segment
    segment_name: str
    status: str  # exported or suppressed
    members: frozenset[Member] = frozenset()
    added: frozenset[Member] = frozenset()
    removed: frozenset[Member] = frozenset()
    baseline_export_id: str | None = None


@dataclass(frozen=True)
class ExportResult:
    export_id: str
    directory: Path
    manifest: dict[str, Any]
    state: State
    previous: State | None = field(default=None)

    @property
    def change_count(self) -> int:
        totals = self.manifest["totals"]
        return int(totals["added_count"]) + int(totals["removed_count"])


# Pure logic ---------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A folder name for a segment name: 'Can't Lose Them' -> 'cant-lose-them'."""
    without_quotes = re.sub(r"['\u2019]", "", name.lower())
    return re.sub(r"[^a-z0-9]+", "-", without_quotes).strip("-") or "segment"


def segment_directory(segment: Segment, name: str) -> str:
    """The segment's folder in an export; the id keeps it unique when names collide."""
    return f"{segment.segmentation}/{segment.segment_id}-{slugify(name)}"


def diff_members(
    previous: frozenset[Member], current: frozenset[Member]
) -> tuple[frozenset[Member], frozenset[Member]]:
    """(added, removed): the pairs only now present, and those only before."""
    return current - previous, previous - current


def plan_export(
    published: PublishedAudiences,
    previous_members: Mapping[str, frozenset[Member]],
    previous: State | None,
) -> list[SegmentExport]:
    """Each segment to list in the export: those with members now and those exported before.

    A suppressed segment is listed without members or changes; its baseline stays. A segment
    exported before with no members now is exported empty, all its members removed.
    """
    previous_segments = previous.segments if previous else {}
    segments = set(published.members) | {
        Segment(key.split("/")[0], int(key.split("/")[1])) for key in previous_segments
    }
    plans = []
    for segment in sorted(
        segments, key=lambda s: (SEGMENTATIONS.index(s.segmentation), s.segment_id)
    ):
        baseline = previous_segments.get(segment.key)
        name = published.names.get(segment) or (baseline.segment_name if baseline else "")
        current = published.members.get(segment, frozenset())
        if current and segment in published.suppressed:
            plans.append(
                SegmentExport(
                    segment,
                    name,
                    "suppressed",
                    baseline_export_id=baseline.export_id if baseline else None,
                )
            )
            continue
        before = previous_members.get(segment.key, frozenset())
        added, removed = diff_members(before, current)
        plans.append(
            SegmentExport(
                segment,
                name,
                "exported",
                members=current,
                added=added,
                removed=removed,
                baseline_export_id=baseline.export_id if baseline else None,
            )
        )
    return plans


def members_csv(members: Iterable[Member]) -> bytes:
    """CSV with a header, one member a line, by customer id; an empty field for no email."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MEMBER_COLUMNS)
    for customer_id, identifier in sorted(members, key=lambda m: (m[0], m[1] or "")):
        writer.writerow((customer_id, identifier or ""))
    return buffer.getvalue().encode()


def parse_members_csv(content: bytes, source: Path) -> frozenset[Member]:
    rows = list(csv.reader(io.StringIO(content.decode())))
    if not rows or tuple(rows[0]) != MEMBER_COLUMNS:
        raise AudienceError(
            f"{source} is not a members file (header {rows[0] if rows else 'missing'}, "
            f"expected {','.join(MEMBER_COLUMNS)}). {START_OVER}"
        )
    return frozenset((int(row[0]), row[1] or None) for row in rows[1:])


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# Reading ------------------------------------------------------------------------------------


def read_published(path: Path) -> PublishedAudiences:
    """The current memberships, identifiers and suppression of a published file (read-only)."""
    try:
        connection = open_published(path, required=[f"marts.{name}" for name in REQUIRED_TABLES])
    except PublishedFileError as error:
        raise AudienceError(str(error)) from error
    with connection:
        (publication_id,) = connection.execute(
            "select any_value(publication_id) from marts._publication"
        ).fetchone()
        dates = [
            row[0]
            for row in connection.execute(
                "select distinct as_of_date from marts.dim_customer_segments order by 1"
            ).fetchall()
        ]
        if len(dates) != 1:
            raise AudienceError(
                f"marts.dim_customer_segments in {path} should be at one as-of date, found "
                f"{', '.join(map(str, dates)) or 'none (no customers)'}: build and publish again"
            )
        members: dict[Segment, set[Member]] = {}
        for segmentation, segment_id, customer_id, identifier in connection.execute(
            MEMBERSHIPS_SQL
        ).fetchall():
            members.setdefault(Segment(segmentation, int(segment_id)), set()).add(
                (int(customer_id), identifier)
            )
        names = {
            Segment(segmentation, int(segment_id)): str(name)
            for segmentation, segment_id, name in connection.execute(
                "select segmentation, segment_id, segment_name from marts.dim_segments"
            ).fetchall()
        }
        not_suppressed = {
            Segment(segmentation, int(segment_id))
            for segmentation, segment_id in connection.execute(
                "select segmentation, segment_id from marts.fct_segment_kpis "
                "where is_suppressed = false"
            ).fetchall()
        }
        (unsegmented,) = connection.execute(
            "select count(*) filter (where segment_id is null) from marts.dim_customer_segments"
        ).fetchone()
    unknown = sorted(s.key for s in members if s not in names)
    if unknown:
        raise AudienceError(
            f"segments {', '.join(unknown)} of marts.dim_customer_segments are not in "
            f"marts.dim_segments of {path}: build and publish again"
        )
    return PublishedAudiences(
        path=path,
        publication_id=str(publication_id),
        as_of_date=dates[0],
        members={segment: frozenset(rows) for segment, rows in members.items()},
        names=names,
        # Fail closed: a segment without a KPI row saying it is not suppressed is suppressed.
        suppressed=frozenset(segment for segment in members if segment not in not_suppressed),
        unsegmented_counts={"kmeans": int(unsegmented), "rfm": 0},
    )


def read_state(output_dir: Path) -> State | None:
    """The last committed export, or None before the first."""
    path = output_dir / STATE_FILE
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text())
        if document.get("version") != STATE_VERSION:
            raise AudienceError(
                f"{path} has version {document.get('version')!r}; this version reads "
                f"{STATE_VERSION}. {START_OVER}"
            )
        return State(
            export_id=document["export_id"],
            as_of_date=date.fromisoformat(document["as_of_date"]),
            publication_id=document["publication_id"],
            committed_at=document["committed_at"],
            segments={key: SegmentState(**value) for key, value in document["segments"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AudienceError(
            f"cannot read {path} ({type(error).__name__}: {error}). {START_OVER}"
        ) from error


def read_baseline(output_dir: Path, state: State | None) -> dict[str, frozenset[Member]]:
    """Each segment's members as last exported, from the files the state names, checked
    against the checksums it recorded."""
    baseline = {}
    for key, segment in (state.segments if state else {}).items():
        path = output_dir / segment.members_file
        try:
            content = path.read_bytes()
        except OSError as error:
            raise AudienceError(
                f"{STATE_FILE} names {path} as the last export of segment {key}, but it "
                f"cannot be read ({error}): restore the export folder "
                f"{output_dir / segment.export_id}. {START_OVER}"
            ) from error
        if sha256_hex(content) != segment.sha256:
            raise AudienceError(
                f"{path}, the last export of segment {key}, was changed after export "
                f"{segment.export_id} wrote it (its checksum differs from {STATE_FILE}'s): "
                f"restore it. {START_OVER}"
            )
        baseline[key] = parse_members_csv(content, path)
    return baseline


# Writing ------------------------------------------------------------------------------------


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """One export at a time per output folder."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def new_export_id(now: datetime) -> str:
    """Sorts by time; the random part keeps two exports in one second apart."""
    return f"{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"


def write_new_file(path: Path, content: bytes) -> None:
    """Create `path` (never replacing a file), write and sync it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def stale_temporaries(output_dir: Path) -> list[Path]:
    """Temporary folders of exports that did not finish (killed before their rename)."""
    pattern = re.compile(rf"\.{EXPORT_ID.pattern}\.tmp")
    return sorted(p for p in output_dir.glob(".*.tmp") if pattern.fullmatch(p.name))


def commit_state(output_dir: Path, state: State) -> None:
    """Replace state.json atomically: write a temporary file, sync it, rename, sync the folder.

    The last step of an export: until the rename, the previous state stands.
    """
    document = {
        "version": STATE_VERSION,
        "export_id": state.export_id,
        "as_of_date": state.as_of_date.isoformat(),
        "publication_id": state.publication_id,
        "committed_at": state.committed_at,
        "segments": {
            key: {
                "segment_name": s.segment_name,
                "export_id": s.export_id,
                "members_file": s.members_file,
                "sha256": s.sha256,
                "member_count": s.member_count,
            }
            for key, s in sorted(state.segments.items())
        },
    }
    temporary = output_dir / f".{STATE_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        write_new_file(temporary, (json.dumps(document, indent=2) + "\n").encode())
        os.replace(temporary, output_dir / STATE_FILE)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_path(output_dir)


def _file_entry(content: bytes, rows: int) -> dict[str, Any]:
    return {"sha256": sha256_hex(content), "rows": rows, "bytes": len(content)}


def export_audiences(
    database: Path,
    output_dir: Path,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> ExportResult:
    """Export every segment's audience from the published `database` into `output_dir`."""
    now = now or datetime.now(UTC)
    output_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(output_dir):
        for stale in stale_temporaries(output_dir):
            shutil.rmtree(stale)
        previous = read_state(output_dir)
        baseline = read_baseline(output_dir, previous)
        published = read_published(database)
        if previous and published.as_of_date < previous.as_of_date and not force:
            raise AudienceError(
                f"{database} is as of {published.as_of_date}, earlier than the last export "
                f"({previous.export_id}, as of {previous.as_of_date}): exporting it would "
                "undo later changes. Give the latest published file, or --force (make "
                "audiences FORCE=1) to export it anyway"
            )
        plans = plan_export(published, baseline, previous)
        export_id = new_export_id(now)
        final = output_dir / export_id
        if final.exists():
            raise AudienceError(f"{final} exists: an export never writes into an earlier one")
        temporary = output_dir / f".{export_id}.tmp"
        segments_state = dict(previous.segments) if previous else {}
        manifest_segments = []
        totals = {"member_count": 0, "unmatchable_count": 0, "added_count": 0, "removed_count": 0}
        try:
            temporary.mkdir()
            for plan in plans:
                entry: dict[str, Any] = {
                    "segmentation": plan.segment.segmentation,
                    "segment_id": plan.segment.segment_id,
                    "segment_name": plan.segment_name,
                    "status": plan.status,
                    "baseline_export_id": plan.baseline_export_id,
                }
                if plan.status == "suppressed":
                    entry["reason"] = SUPPRESSED_REASON
                    manifest_segments.append(entry)
                    continue
                directory = segment_directory(plan.segment, plan.segment_name)
                files = {}
                for file_name, rows in (
                    (MEMBERS, plan.members),
                    (ADDED, plan.added),
                    (REMOVED, plan.removed),
                ):
                    content = members_csv(rows)
                    write_new_file(temporary / directory / file_name, content)
                    files[file_name] = _file_entry(content, len(rows))
                for directory_path in (temporary / directory, (temporary / directory).parent):
                    fsync_path(directory_path)
                matchable = sum(1 for _, identifier in plan.members if identifier)
                entry |= {
                    "directory": directory,
                    "member_count": len(plan.members),
                    "matchable_count": matchable,
                    "unmatchable_count": len(plan.members) - matchable,
                    "added_count": len(plan.added),
                    "removed_count": len(plan.removed),
                    "files": files,
                }
                manifest_segments.append(entry)
                totals["member_count"] += len(plan.members)
                totals["unmatchable_count"] += len(plan.members) - matchable
                totals["added_count"] += len(plan.added)
                totals["removed_count"] += len(plan.removed)
                if plan.members:
                    segments_state[plan.segment.key] = SegmentState(
                        segment_name=plan.segment_name,
                        export_id=export_id,
                        members_file=f"{export_id}/{directory}/{MEMBERS}",
                        sha256=files[MEMBERS]["sha256"],
                        member_count=len(plan.members),
                    )
                else:
                    # Emptied: its removals are in this export; nothing to compare with next time.
                    segments_state.pop(plan.segment.key, None)
            manifest = {
                "export_id": export_id,
                "exported_at": now.isoformat(timespec="seconds"),
                "as_of_date": published.as_of_date.isoformat(),
                "publication_id": published.publication_id,
                "published_file": str(database.resolve()),
                "previous_export_id": previous.export_id if previous else None,
                "previous_as_of_date": previous.as_of_date.isoformat() if previous else None,
                "identifier": IDENTIFIER,
                "totals": totals,
                "unsegmented_customer_count": dict(published.unsegmented_counts),
                "segments": manifest_segments,
            }
            write_new_file(
                temporary / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode()
            )
            fsync_path(temporary)
            os.rename(temporary, final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        fsync_path(output_dir)
        state = State(
            export_id=export_id,
            as_of_date=published.as_of_date,
            publication_id=published.publication_id,
            committed_at=now.isoformat(timespec="seconds"),
            segments=segments_state,
        )
        commit_state(output_dir, state)
    return ExportResult(export_id, final, manifest, state, previous)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Export segment audiences (full membership, added, removed) as CSV files "
        "for ad platforms, from a published file."
    )
    parser.add_argument(
        "--database", type=Path, required=True, help="the published file (published.duckdb)"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="the audiences folder (default: audiences/ beside the published file)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="export even though the published file is older than the last export",
    )
    args = parser.parse_args(argv)
    output_dir = args.output_dir or args.database.parent / "audiences"
    try:
        result = export_audiences(args.database, output_dir, force=args.force)
    except (AudienceError, duckdb.Error, OSError) as error:
        raise SystemExit(
            f"audience export failed, earlier exports left as they were: {error}"
        ) from error
    manifest = result.manifest
    print(f"export {result.export_id} as of {manifest['as_of_date']} in {result.directory}")
    for entry in manifest["segments"]:
        label = f"  {entry['segmentation']:<7}{entry['segment_id']:>3}  {entry['segment_name']:<22}"
        if entry["status"] == "suppressed":
            print(f"{label}suppressed (small group), not exported")
        else:
            print(
                f"{label}{entry['member_count']:>9,} members ({entry['unmatchable_count']:,} "
                f"without email)  +{entry['added_count']:,}  -{entry['removed_count']:,}"
            )
    totals = manifest["totals"]
    if totals["unmatchable_count"]:
        print(
            f"{totals['unmatchable_count']:,} of {totals['member_count']:,} exported memberships "
            "have no email (empty email_sha256): ad platforms cannot match them"
        )
    if result.previous is None:
        print("first export: every member is added")
    elif result.change_count == 0:
        print(f"no change since export {result.previous.export_id}")


if __name__ == "__main__":
    main()
