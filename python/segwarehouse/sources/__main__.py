from segwarehouse.sources.cli import main

main()
