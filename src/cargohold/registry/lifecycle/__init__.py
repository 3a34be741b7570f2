"""Lifecycle: how an artifact moves from stage to stage and what is said about it on the
way: promotion (docker images, generic files, whole builds), build records, properties, and
search by them.

Belongs here: anything that moves or annotates artifacts that are already stored."""
