"""Unit tests of segwarehouse.tools (python/segwarehouse/tools/), mirroring its modules."""
