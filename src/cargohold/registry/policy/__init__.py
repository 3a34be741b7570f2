"""Policy: rules over what scans found (severity, license, age of a scan), watches that
apply them to repositories, exceptions, and the gates they put on download and promotion.

Belongs here: the decision "may this artifact be downloaded or promoted?", never the
scanning (``insight``) or the moving (``lifecycle``)."""
