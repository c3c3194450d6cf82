"""Development aids: the demo shop and the members load tests use."""
