from azora_nb.cli import main

main()
