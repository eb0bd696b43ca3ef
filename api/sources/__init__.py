"""Record: mailboxes and help desks a worker keeps up with, their checkpoints, health and leases."""
