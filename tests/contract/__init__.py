"""A local implementation of the Siperb REST API contract, for the client's tests."""
