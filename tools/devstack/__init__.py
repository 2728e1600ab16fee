"""Local stand-ins for the infrastructure (Redis, MongoDB, Stripe) used by the local
runner and by the tests: real servers started as child processes on loopback."""
