"""Local stand-ins for the services on the internet: real HTTP servers on 127.0.0.1 that record what they get."""
