"""Audience exports (segwarehouse.audiences) and the membership change feed.

Most cases run on small published files written here, with only the tables and columns the
export reads; the last ones read the test build's published file, and one builds a tiny
shop whose emails need trimming and lower-casing.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from segwarehouse import audiences
from segwarehouse.audiences import AudienceError, export_audiences, slugify

from .conftest import TEST_DATA_DIR
from .test_byod import assert_built, build

NAMES = {
    ("kmeans", 1): "High-value loyal",
    ("kmeans", 2): "Lapsed",
    ("rfm", 1): "Champions",
    ("rfm", 9): "Can't Lose Them",
}


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def write_published(
    path: Path,
    memberships: dict[int, tuple[int | None, int]],
    *,
    emails: dict[int, str | None] | None = None,
    suppressed: set[tuple[str, int]] = frozenset(),
    without_kpi_row: set[tuple[str, int]] = frozenset(),
    as_of: date = date(2025, 12, 31),
    publication_id: str = "p1",
) -> Path:
    """A published file with what the export reads: customer -> (k-means, RFM segment)."""
    emails = emails if emails is not None else {c: f"c{c}@example.com" for c in memberships}
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts._publication (publication_id varchar)")
        connection.execute("insert into marts._publication values (?)", [publication_id])
        connection.execute(
            "create table marts.dim_customer_segments (customer_id bigint, as_of_date date, "
            "segment_id integer, rfm_segment_id integer)"
        )
        connection.executemany(
            "insert into marts.dim_customer_segments values (?, ?, ?, ?)",
            [(c, as_of, k, r) for c, (k, r) in memberships.items()],
        )
        connection.execute(
            "create table marts.dim_segments "
            "(segmentation varchar, segment_id integer, segment_name varchar)"
        )
        connection.executemany(
            "insert into marts.dim_segments values (?, ?, ?)",
            [(s, i, name) for (s, i), name in NAMES.items()],
        )
        segments = {("kmeans", k) for k, _ in memberships.values() if k is not None}
        segments |= {("rfm", r) for _, r in memberships.values()}
        connection.execute(
            "create table marts.fct_segment_kpis "
            "(segmentation varchar, segment_id integer, is_suppressed boolean)"
        )
        connection.executemany(
            "insert into marts.fct_segment_kpis values (?, ?, ?)",
            [(s, i, (s, i) in suppressed) for s, i in segments if (s, i) not in without_kpi_row],
        )
        connection.execute(
            "create table marts.dim_customer_activation_identifiers "
            "(customer_id bigint, email_sha256 varchar, is_matchable boolean)"
        )
        connection.executemany(
            "insert into marts.dim_customer_activation_identifiers values (?, ?, ?)",
            [
                (c, email_hash(e) if e else None, e is not None)
                for c, e in emails.items()
                if c in memberships
            ],
        )
    return path


def read_csv(path: Path) -> set[tuple[int, str]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["customer_id", "email_sha256"]
    return {(int(row[0]), row[1]) for row in rows[1:]}


def segment_entry(manifest: dict, segmentation: str, segment_id: int) -> dict:
    (entry,) = [
        s
        for s in manifest["segments"]
        if (s["segmentation"], s["segment_id"]) == (segmentation, segment_id)
    ]
    return entry


def member(customer_id: int, email: str | None = "") -> tuple[int, str]:
    email = f"c{customer_id}@example.com" if email == "" else email
    return (customer_id, email_hash(email) if email else "")


def snapshot(folder: Path) -> dict[Path, bytes]:
    """Every file under folder with its content."""
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


# Every customer in k-means 1 or 2 and RFM 1; customer 6 also in RFM 9.
BASE = {1: (1, 1), 2: (1, 1), 3: (1, 1), 4: (2, 1), 5: (2, 1), 6: (2, 9)}


@pytest.fixture
def audience_dir(tmp_path) -> Path:
    return tmp_path / "audiences"


def test_first_export_adds_every_member_and_commits_its_state(tmp_path, audience_dir):
    published = write_published(tmp_path / "p.duckdb", BASE)
    result = export_audiences(published, audience_dir)

    assert result.previous is None
    folder = audience_dir / result.export_id
    lapsed = folder / "kmeans" / "2-lapsed"
    assert read_csv(lapsed / "members.csv") == {member(4), member(5), member(6)}
    assert read_csv(lapsed / "added.csv") == read_csv(lapsed / "members.csv")
    assert read_csv(lapsed / "removed.csv") == set()
    assert read_csv(folder / "rfm" / "9-cant-lose-them" / "added.csv") == {member(6)}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest == result.manifest
    assert manifest["as_of_date"] == "2025-12-31"
    assert manifest["previous_export_id"] is None
    assert manifest["totals"] == {
        "member_count": 12,
        "unmatchable_count": 0,
        "added_count": 12,
        "removed_count": 0,
    }
    state = json.loads((audience_dir / "state.json").read_text())
    assert state["export_id"] == result.export_id
    assert state["segments"]["kmeans/2"]["members_file"] == (
        f"{result.export_id}/kmeans/2-lapsed/members.csv"
    )


def test_a_rerun_without_change_exports_no_adds_or_removes_and_overwrites_nothing(
    tmp_path, audience_dir
):
    published = write_published(tmp_path / "p.duckdb", BASE)
    first = export_audiences(published, audience_dir)
    before = snapshot(audience_dir / first.export_id)

    second = export_audiences(published, audience_dir)

    assert second.export_id != first.export_id
    assert second.change_count == 0
    assert second.manifest["previous_export_id"] == first.export_id
    for entry in second.manifest["segments"]:
        assert (entry["added_count"], entry["removed_count"]) == (0, 0)
        folder = audience_dir / second.export_id / entry["directory"]
        assert read_csv(folder / "added.csv") == read_csv(folder / "removed.csv") == set()
    assert snapshot(audience_dir / first.export_id) == before


def test_a_changed_membership_gives_exactly_the_adds_and_removes(tmp_path, audience_dir):
    export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    # 3 moves from k-means 1 to 2, 4 leaves, 7 arrives in 1, 5's email changes.
    changed = {**BASE, 3: (2, 1), 7: (1, 1)}
    del changed[4]
    emails = {c: f"c{c}@example.com" for c in changed} | {5: "new5@example.com"}
    result = export_audiences(
        write_published(tmp_path / "p.duckdb", changed, emails=emails, publication_id="p2"),
        audience_dir,
    )

    folder = audience_dir / result.export_id
    loyal, lapsed = folder / "kmeans" / "1-high-value-loyal", folder / "kmeans" / "2-lapsed"
    assert read_csv(loyal / "added.csv") == {member(7)}
    assert read_csv(loyal / "removed.csv") == {member(3)}
    assert read_csv(lapsed / "added.csv") == {member(3), member(5, "new5@example.com")}
    assert read_csv(lapsed / "removed.csv") == {member(4), member(5)}
    assert read_csv(lapsed / "members.csv") == {
        member(3),
        member(5, "new5@example.com"),
        member(6),
    }
    champions = folder / "rfm" / "1-champions"
    assert read_csv(champions / "added.csv") == {member(7), member(5, "new5@example.com")}
    assert read_csv(champions / "removed.csv") == {member(4), member(5)}
    assert segment_entry(result.manifest, "kmeans", 2) | {"files": None} == {
        "segmentation": "kmeans",
        "segment_id": 2,
        "segment_name": "Lapsed",
        "status": "exported",
        "baseline_export_id": result.previous.export_id,
        "directory": "kmeans/2-lapsed",
        "member_count": 3,
        "matchable_count": 3,
        "unmatchable_count": 0,
        "added_count": 2,
        "removed_count": 2,
        "files": None,
    }


def test_a_crash_before_the_state_is_committed_leaves_the_previous_state(
    tmp_path, audience_dir, monkeypatch
):
    first = export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    state_before = (audience_dir / "state.json").read_bytes()
    changed = {**BASE, 7: (2, 1)}
    published = write_published(tmp_path / "p.duckdb", changed, publication_id="p2")

    def crash(output_dir, state):
        raise KeyboardInterrupt("killed before the state was committed")

    monkeypatch.setattr(audiences, "commit_state", crash)
    with pytest.raises(KeyboardInterrupt):
        export_audiences(published, audience_dir)
    monkeypatch.undo()

    assert (audience_dir / "state.json").read_bytes() == state_before
    assert [p.name for p in audience_dir.iterdir() if p.name.endswith(".tmp")] == []
    # The next export compares with the committed state, so it repeats the crashed one's adds.
    result = export_audiences(published, audience_dir)
    assert result.manifest["previous_export_id"] == first.export_id
    assert result.manifest["totals"]["added_count"] == 2  # 7 into k-means 2 and RFM 1
    lapsed = audience_dir / result.export_id / "kmeans" / "2-lapsed"
    assert read_csv(lapsed / "added.csv") == {member(7)}
    # And the one after it starts from this one.
    assert export_audiences(published, audience_dir).change_count == 0


def test_a_crash_while_writing_files_leaves_no_export_and_the_previous_state(
    tmp_path, audience_dir, monkeypatch
):
    export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    before = snapshot(audience_dir)
    calls = []

    def fail_on_third(path, content):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        original(path, content)

    original = audiences.write_new_file
    monkeypatch.setattr(audiences, "write_new_file", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        export_audiences(write_published(tmp_path / "p.duckdb", {1: (1, 1)}), audience_dir)
    assert snapshot(audience_dir) == before


def test_an_export_never_writes_into_an_earlier_one(tmp_path, audience_dir, monkeypatch):
    published = write_published(tmp_path / "p.duckdb", BASE)
    first = export_audiences(published, audience_dir)
    before = snapshot(audience_dir)
    monkeypatch.setattr(audiences, "new_export_id", lambda now: first.export_id)
    with pytest.raises(AudienceError, match="never writes into an earlier one"):
        export_audiences(published, audience_dir)
    assert snapshot(audience_dir) == before


def test_the_manifest_checksums_and_counts_match_the_files(tmp_path, audience_dir):
    result = export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    checked = 0
    for entry in result.manifest["segments"]:
        for name, recorded in entry["files"].items():
            content = (audience_dir / result.export_id / entry["directory"] / name).read_bytes()
            assert recorded["sha256"] == hashlib.sha256(content).hexdigest()
            assert recorded["bytes"] == len(content)
            assert recorded["rows"] == content.count(b"\n") - 1
            checked += 1
    assert checked == 4 * 3


def test_customers_without_email_are_exported_with_an_empty_identifier_and_counted(
    tmp_path, audience_dir
):
    emails = {c: f"c{c}@example.com" for c in BASE} | {4: None}
    published = write_published(tmp_path / "p.duckdb", BASE, emails=emails)
    result = export_audiences(published, audience_dir)
    lapsed = segment_entry(result.manifest, "kmeans", 2)
    assert (lapsed["member_count"], lapsed["matchable_count"], lapsed["unmatchable_count"]) == (
        3,
        2,
        1,
    )
    members = read_csv(audience_dir / result.export_id / "kmeans/2-lapsed/members.csv")
    assert (4, "") in members
    assert result.manifest["totals"]["unmatchable_count"] == 2  # k-means 2 and RFM 1


def test_a_suppressed_segment_is_not_exported_and_keeps_its_baseline(tmp_path, audience_dir):
    first = export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    # Customer 7 joins RFM 9, which the build suppressed; customer 6 leaves it.
    changed = {**BASE, 6: (2, 1), 7: (1, 9)}
    suppressed = write_published(
        tmp_path / "p.duckdb", changed, suppressed={("rfm", 9)}, publication_id="p2"
    )
    second = export_audiences(suppressed, audience_dir)

    entry = segment_entry(second.manifest, "rfm", 9)
    assert entry["status"] == "suppressed"
    assert "member_count" not in entry and "files" not in entry
    assert entry["baseline_export_id"] == first.export_id
    assert not (audience_dir / second.export_id / "rfm").joinpath("9-cant-lose-them").exists()
    assert second.state.segments["rfm/9"] == first.state.segments["rfm/9"]

    # Exported again once it is not suppressed: its changes since the last export of it.
    third = export_audiences(
        write_published(tmp_path / "p.duckdb", changed, publication_id="p3"), audience_dir
    )
    folder = audience_dir / third.export_id / "rfm" / "9-cant-lose-them"
    assert read_csv(folder / "added.csv") == {member(7)}
    assert read_csv(folder / "removed.csv") == {member(6)}


def test_a_segment_without_a_kpi_row_is_taken_as_suppressed(tmp_path, audience_dir):
    published = write_published(tmp_path / "p.duckdb", BASE, without_kpi_row={("kmeans", 1)})
    result = export_audiences(published, audience_dir)
    assert segment_entry(result.manifest, "kmeans", 1)["status"] == "suppressed"
    assert segment_entry(result.manifest, "kmeans", 2)["status"] == "exported"


def test_a_segment_that_empties_is_exported_with_all_members_removed(tmp_path, audience_dir):
    export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    emptied = {c: (1, 1) for c in BASE}  # nobody in k-means 2 or RFM 9 any more
    second = export_audiences(
        write_published(tmp_path / "p.duckdb", emptied, publication_id="p2"), audience_dir
    )
    entry = segment_entry(second.manifest, "rfm", 9)
    assert (entry["member_count"], entry["removed_count"]) == (0, 1)
    assert "rfm/9" not in second.state.segments
    third = export_audiences(
        write_published(tmp_path / "p.duckdb", emptied, publication_id="p3"), audience_dir
    )
    assert [(s["segmentation"], s["segment_id"]) for s in third.manifest["segments"]] == [
        ("kmeans", 1),
        ("rfm", 1),
    ]


def test_unsegmented_customers_are_counted_not_exported(tmp_path, audience_dir):
    published = write_published(tmp_path / "p.duckdb", {**BASE, 8: (None, 1)})
    result = export_audiences(published, audience_dir)
    assert result.manifest["unsegmented_customer_count"] == {"kmeans": 1, "rfm": 0}
    assert segment_entry(result.manifest, "rfm", 1)["member_count"] == 6  # 1-5 and 8


def test_an_older_published_file_is_refused_unless_forced(tmp_path, audience_dir):
    export_audiences(write_published(tmp_path / "p.duckdb", BASE), audience_dir)
    state = (audience_dir / "state.json").read_bytes()
    older = write_published(tmp_path / "old.duckdb", BASE, as_of=date(2025, 11, 30))
    with pytest.raises(AudienceError, match=r"as of 2025-11-30, earlier than .*--force"):
        export_audiences(older, audience_dir)
    assert (audience_dir / "state.json").read_bytes() == state
    forced = export_audiences(older, audience_dir, force=True)
    assert forced.state.as_of_date == date(2025, 11, 30)


def test_a_changed_baseline_file_is_refused(tmp_path, audience_dir):
    published = write_published(tmp_path / "p.duckdb", BASE)
    first = export_audiences(published, audience_dir)
    members = audience_dir / first.export_id / "kmeans" / "1-high-value-loyal" / "members.csv"
    members.write_text("customer_id,email_sha256\n1,\n")
    with pytest.raises(AudienceError, match=r"changed after export .* move state.json aside"):
        export_audiences(published, audience_dir)
    members.unlink()
    with pytest.raises(AudienceError, match=r"cannot be read .* restore the export folder"):
        export_audiences(published, audience_dir)


def test_a_file_that_is_not_published_is_refused_naming_what_is_missing(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.dim_customer_segments (customer_id bigint)")
    with pytest.raises(AudienceError, match=r"not a published file \(it has no marts._publication"):
        export_audiences(path, tmp_path / "audiences")
    with pytest.raises(AudienceError, match="no published file"):
        export_audiences(tmp_path / "missing.duckdb", tmp_path / "audiences")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        pytest.param("Can't Lose Them", "cant-lose-them", id="apostrophe"),
        pytest.param("High-value loyal", "high-value-loyal", id="hyphen"),
        pytest.param("  Ünïcode & co ", "n-code-co", id="non-ascii"),
        pytest.param("!!!", "segment", id="nothing-left"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_the_command_prints_the_export_and_no_change(tmp_path, capsys):
    published = write_published(tmp_path / "p.duckdb", BASE)
    audiences.main(["--database", str(published)])
    assert "first export: every member is added" in capsys.readouterr().out
    audiences.main(["--database", str(published)])
    out = capsys.readouterr().out
    assert "no change since export" in out
    assert (tmp_path / "audiences" / "state.json").exists()
    with pytest.raises(SystemExit, match="audience export failed"):
        audiences.main(["--database", str(tmp_path / "missing.duckdb")])


# --- The test build's published file --------------------------------------------------------


@pytest.fixture(scope="module")
def published_test_build(warehouse) -> Path:
    """The published file of `make build-test` (the warehouse fixture builds it if missing)."""
    return TEST_DATA_DIR / "published.duckdb"


def test_identifiers_are_sha256_of_the_trimmed_lowercased_raw_email(published_test_build):
    raw = pd.read_parquet(TEST_DATA_DIR / "raw" / "customers.parquet", columns=["id", "email"])
    expected = {
        str(i): email_hash(e) if e else None for i, e in zip(raw.id, raw.email, strict=True)
    }
    with duckdb.connect(str(published_test_build), read_only=True) as connection:
        rows = connection.execute(
            "select source_customer_id, email_sha256 from marts.dim_customers "
            "inner join marts.dim_customer_activation_identifiers using (customer_id)"
        ).fetchall()
    assert len(rows) > 9000
    assert all(identifier == expected[source_id] for source_id, identifier in rows)


def test_an_export_of_the_test_build_follows_its_memberships_and_suppression(
    published_test_build, tmp_path
):
    result = export_audiences(published_test_build, tmp_path / "audiences")
    with duckdb.connect(str(published_test_build), read_only=True) as connection:
        kpis = {
            (s, i): (count, suppressed)
            for s, i, count, suppressed in connection.execute(
                "select segmentation, segment_id, customer_count, is_suppressed "
                "from marts.fct_segment_kpis"
            ).fetchall()
        }
        identifiers = dict(
            connection.execute(
                "select customer_id, email_sha256 from marts.dim_customer_activation_identifiers"
            ).fetchall()
        )
        (as_of,) = connection.execute(
            "select distinct as_of_date from marts.dim_customer_segments"
        ).fetchone()
    assert result.manifest["as_of_date"] == as_of.isoformat()
    listed = {(s["segmentation"], s["segment_id"]): s for s in result.manifest["segments"]}
    assert set(listed) == set(kpis)
    for key, (count, is_suppressed) in kpis.items():
        entry = listed[key]
        assert entry["status"] == ("suppressed" if is_suppressed else "exported")
        if is_suppressed:
            continue
        assert entry["member_count"] == entry["added_count"] == count
        rows = read_csv(result.directory / entry["directory"] / "members.csv")
        assert len(rows) == count
        assert all(identifiers[c] == (e or None) for c, e in rows)


def test_the_change_feed_matches_the_kept_snapshots(warehouse):
    """Entries and exits between the two test as-of dates, recomputed from the snapshots."""

    def rows(sql: str) -> set[tuple]:
        return set(warehouse.execute(sql).fetchall())

    def members(as_of: str) -> set[tuple]:
        return rows(
            "select customer_id, segmentation, segment_id "
            "from intermediate.int_customer_segments_snapshotted "
            f"where as_of_date = '{as_of}'"
        )

    def changes(as_of: str, change_type: str) -> set[tuple]:
        return rows(
            "select customer_id, segmentation, segment_id "
            "from marts.fct_customer_segment_changes "
            f"where change_as_of_date = '{as_of}' and change_type = '{change_type}'"
        )

    before, after = members("2025-11-30"), members("2025-12-31")
    assert changes("2025-12-31", "entered") == after - before
    assert changes("2025-12-31", "exited") == before - after
    assert len(after - before) > 500
    # Everyone enters at the first kept as-of date, without a previous date.
    assert changes("2025-11-30", "entered") == before
    assert changes("2025-11-30", "exited") == set()
    assert rows(
        "select change_as_of_date, previous_as_of_date from marts.fct_customer_segment_changes"
    ) == {(date(2025, 11, 30), None), (date(2025, 12, 31), date(2025, 11, 30))}


# --- A tiny shop: emails to trim and lower-case, groups too small to export ------------------

TINY_MAPPING = """
name: tiny_audiences
orders:
  path: orders.csv
  columns:
    order_id: Order
    customer_id: Customer
    ordered_at: Date
    amount: Amount
customers:
  path: customers.csv
  columns:
    customer_id: Customer
    email: Email
    signup_date: Joined
"""


def test_a_tiny_shop_exports_normalised_hashes_and_suppresses_its_small_segments(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    emails = ["  Ann.Lee@Example.COM ", "bob@example.com", "", "\tCARL@Example.org\n", None]
    customers = pd.DataFrame(
        {
            "Customer": range(1, 13),
            "Email": [emails[i % len(emails)] for i in range(12)],
            "Joined": "2024-01-01",
        }
    )
    customers.to_csv(folder / "customers.csv", index=False)
    pd.DataFrame(
        {
            "Order": range(1, 25),
            "Customer": [1 + i % 12 for i in range(24)],
            "Date": [f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}" for i in range(24)],
            "Amount": [10 + 7 * i for i in range(24)],
        }
    ).to_csv(folder / "orders.csv", index=False)
    built = build(folder, TINY_MAPPING, "--no-summary")
    assert_built(built)
    warehouse = built.warehouse
    published = warehouse.with_name("published.duckdb")
    with duckdb.connect(str(published), read_only=True) as connection:
        identifiers = dict(
            connection.execute(
                "select source_customer_id, email_sha256 from marts.dim_customers "
                "inner join marts.dim_customer_activation_identifiers using (customer_id)"
            ).fetchall()
        )
    expected = {
        str(c): email_hash(e) if isinstance(e, str) and e.strip() else None
        for c, e in zip(customers.Customer, customers.Email, strict=True)
    }
    assert identifiers == expected
    assert identifiers["1"] == hashlib.sha256(b"ann.lee@example.com").hexdigest()

    # Twelve customers: every segment is smaller than kpi_min_group_size (10) but perhaps
    # one; each is suppressed in the KPI mart, and so not exported.
    result = export_audiences(published, tmp_path / "audiences")
    with duckdb.connect(str(published), read_only=True) as connection:
        suppressed = {
            (s, i)
            for s, i in connection.execute(
                "select segmentation, segment_id from marts.fct_segment_kpis where is_suppressed"
            ).fetchall()
        }
    assert suppressed
    statuses = {
        (s["segmentation"], s["segment_id"]): s["status"] for s in result.manifest["segments"]
    }
    assert {k for k, status in statuses.items() if status == "suppressed"} == suppressed
    for entry in result.manifest["segments"]:
        if entry["status"] == "exported":
            assert entry["member_count"] >= 10
