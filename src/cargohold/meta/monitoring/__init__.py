"""What monitoring asks the database: levels read at scrape time (jobs by kind and state,
open uploads, the connection pool) and the readiness checks (reachable, writable, schema at
the newest migration). Every query is bounded and cheap enough to run every few seconds."""
