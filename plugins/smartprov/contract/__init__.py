"""The submission contract as data: the rule catalogue, the taxonomy, findings and their messages.

The ground floor of the stages: it imports only `smartprov.settings`.
"""
