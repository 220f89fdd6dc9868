"""autosync: one namespace over several Swift clusters."""

__version__ = '0.1.0'
