"""Record: pulse events and webhook endpoints; signing and the delivery facts a worker needs."""
