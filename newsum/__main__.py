from newsum.cli import main

main()
