"""The CP-SAT mapper: map space, tiling model, exact re-scoring, bound and gap."""
