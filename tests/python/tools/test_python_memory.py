"""segwarehouse.tools.python_memory: one line per step, each measured in its own process."""

from __future__ import annotations

import pytest

from segwarehouse.tools import python_memory


def test_it_measures_each_step_in_its_own_process(capsys):
    assert python_memory.main(["--customers", "2000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2,000 customers"
    rows = [line.strip("|").split("|") for line in lines[3:]]
    assert [row[0].strip() for row in rows] == list(python_memory.STEPS)
    for _, inputs, above, seconds in rows:
        assert int(inputs.strip().replace(",", "")) > 0
        assert int(above.strip().replace(",", "")) >= 0
        assert float(seconds) >= 0


def test_too_few_customers_is_refused():
    with pytest.raises(SystemExit):
        python_memory.main(["--customers", "10"])
