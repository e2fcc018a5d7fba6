"""Compatibility only: the generator is segwarehouse.tools.generate.

This module exists for ../shared/benchmarks/compare.sh, outside this repository, which runs
`python -m segwarehouse.generate ...`; it only hands its arguments to the generator. Use
`python -m segwarehouse.tools.generate` everywhere else.
"""

from segwarehouse.tools.generate import main

if __name__ == "__main__":
    main()
