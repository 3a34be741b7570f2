"""Signing what a repository publishes (Debian's InRelease and Release.gpg, RPM's
repomd.xml.asc) with the repository's own OpenPGP keys."""
