"""Record: decisions (append-only) and their heads; the current decision and the decision listing."""
