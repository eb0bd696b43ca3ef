"""Record: the model registry in the database, the models loaded in this process, and which one a command means."""
