"""The loyalty domain: plain functions that take a Session and never commit."""
