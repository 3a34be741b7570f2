"""Pure values: digests, descriptors, names, media types and the error tree. No I/O."""
