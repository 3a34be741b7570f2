"""Tables and queries of lifecycle: promotions and their records, builds, properties, and
search by them."""
