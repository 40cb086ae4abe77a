from bot.sandbox.emulator_cli import main

main()
