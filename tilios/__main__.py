from tilios.cli import main

main()
