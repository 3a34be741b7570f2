"""The HTTP client of remote repositories: asks an upstream server (a registry, a package
index) for what a remote repository does not hold yet, authenticated as that upstream
wants (Basic, or the Docker token flow with tokens cached until they expire), with TLS
verified unless a repository turns it off, and its failures said in words a person can act
on. It knows nothing of cargohold's stores or use cases: ``registry/remote`` drives it.

The package imports nothing itself: ``retry_after`` is pure and the use cases read it
without bringing in an HTTP library; ``client.HttpUpstreamClient`` is what the composition
root builds."""
