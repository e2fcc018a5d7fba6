"""segwarehouse.failed_tests: the rows behind a failed data test, selected again after dbt."""

import json

import duckdb

from segwarehouse.failed_tests import failed_tests, format_failed_tests


def _run_results(path, *results):
    path.write_text(json.dumps({"results": list(results)}))
    return path


def _result(unique_id, status, sql, failures=None):
    return {"unique_id": unique_id, "status": status, "failures": failures, "compiled_code": sql}


def test_failed_and_warned_tests_get_their_rows_and_others_are_left_out(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create table t as select * from range(25) as r(n)")
    run_results = _run_results(
        tmp_path / "run_results.json",
        _result("test.p.too_big.ab12", "fail", "select n from t where n >= 3", 22),
        _result("test.p.drifted", "warn", "select 'x' as feature, null as psi", 1),
        _result("test.p.fine.cd34", "pass", "select n from t where n < 0", 0),
        _result("model.p.t", "error", "select broken"),
    )
    too_big, drifted = failed_tests(run_results, warehouse)
    assert (too_big.name, too_big.status, too_big.failures) == ("too_big", "fail", 22)
    assert too_big.columns == ("n",) and too_big.rows == tuple((n,) for n in range(3, 13))
    assert drifted.name == "drifted" and drifted.rows == (("x", None),)
    assert format_failed_tests([drifted]).splitlines()[1:] == [
        "drifted (warn, 1):",
        "  feature | psi",
        "  x       | null",
    ]


def test_a_test_whose_rows_cannot_be_selected_says_why(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    run_results = _run_results(
        tmp_path / "run_results.json",
        _result("test.p.gone.ef56", "fail", "select * from dropped_since", 4),
    )
    (gone,) = failed_tests(run_results, warehouse)
    assert gone.rows == () and "dropped_since" in gone.error
    assert "gone (fail, 4):\n  could not select them again: Catalog Error" in format_failed_tests(
        [gone]
    )


def test_no_run_results_or_no_failure_reports_nothing(tmp_path):
    assert failed_tests(tmp_path / "missing.json", tmp_path / "warehouse.duckdb") == []
    passed = _run_results(tmp_path / "run_results.json", _result("test.p.ok.1", "pass", "x", 0))
    assert failed_tests(passed, tmp_path / "warehouse.duckdb") == []
