"""What an operator's monitoring asks of the instance: readiness (database reachable and
writable, schema at the newest migration, blob store reachable) and the levels a metrics
scrape reports (jobs, open uploads, storage by repository, the database pool). Public: no
caller is checked here; who may scrape is the protocol's business."""
