"""The run: the steps both faces (the `smartprov` CLI and the Airflow DAGs) call."""
