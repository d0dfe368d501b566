"""Warehouse: connection and schema, the ledger and raw loads, dbt, database roles."""
