"""Tools around the warehouse: they make its test data, time it and judge its results.

What belongs here is run by hand, by `make` or by the tests, never by a build:

- `generate` (with `personas`): the synthetic retailer, raw Parquet plus the planted persona
  of each customer (`make demo-data`, `make test-data`);
- `bench`: generate, build, append a day, build again, timed (`make bench`);
- `evaluate`: how well the segments recover the generator's personas;
- `stability`: how many customers keep their segment id when the model is retrained;
- `fingerprint`: whether two builds' marts hold the same rows.

Run each as `python -m segwarehouse.tools.<name> --help`.

What does not belong here: anything a build or a reader of the warehouse runs. The dbt Python
models import `segwarehouse.clustering` (which names segments with `naming`), `clv`,
`experiments` and `history`; `segwarehouse.sources` builds and `publish` publishes; `summary`,
`audiences`, `metrics`, `published` and `dashboard` read the published file. Those stay in
`segwarehouse`, and nothing there imports from `segwarehouse.tools`, except
`segwarehouse/generate.py`, which only hands `python -m segwarehouse.generate` (as
../shared/benchmarks/compare.sh calls it) to `segwarehouse.tools.generate`.
"""
