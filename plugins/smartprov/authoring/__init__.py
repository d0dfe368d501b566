"""Authoring: blank templates, realistic sample landing zones, xlsx writing."""
