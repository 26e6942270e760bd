"""``python -m infra`` runs the ``svledger`` CLI."""

from infra.cli import main

main()
