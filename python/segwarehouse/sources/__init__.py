"""Bring your own data: a mapping file describes a source; `build` makes its warehouse.

See segwarehouse.sources.mapping for the file format and segwarehouse.sources.cli for the
commands (python -m segwarehouse.sources build path/to/mapping.yml).
"""
