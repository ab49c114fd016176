import sys

try:
    from kraft.cli import main
except KeyboardInterrupt:  # Ctrl-C while still importing: as quiet as later (see kraft.cli)
    sys.exit(130)

sys.exit(main())
