"""The vulnerability database: OSV records read into values (osv), versions compared in each
ecosystem's own ordering (versions), severities from CVSS (severity), and components matched
against advisories (match). Plain synchronous code; storing the results is the caller's."""
