"""smartprov: Smart Province submissions pipeline core (shared by the CLI and the Airflow DAGs)."""

__version__ = "0.1.0"
