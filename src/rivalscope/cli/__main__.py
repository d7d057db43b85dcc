"""``python -m rivalscope.cli``: the ``rivalscope`` command."""

from rivalscope.cli import main

if __name__ == "__main__":
    main()
