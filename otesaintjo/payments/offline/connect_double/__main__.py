"""``python -m otesaintjo.payments.offline.connect_double``: how ``processes.py`` starts it."""

from otesaintjo.payments.offline.connect_double.app import main

if __name__ == "__main__":
    main()
