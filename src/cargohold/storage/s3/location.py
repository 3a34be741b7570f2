"""Where an S3 blob store keeps its objects, as the operator writes it in ``storage_url``::

    s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=REGION

The credentials never appear here: they come from the standard ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` environment variables (or the rest of the AWS credential chain), so
a URL in a config file or a process listing gives nothing away. This module imports no S3
library: settings parse and check the URL without loading one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

EXAMPLE = "s3://BUCKET/PREFIX?endpoint=http://HOST:PORT&region=REGION"
DEFAULT_REGION = "us-east-1"
# S3's bucket naming rules: 3 to 63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]*$")
_REGION = re.compile(r"^[a-z0-9-]{1,32}$")
_PARAMETERS = ("endpoint", "region")


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    prefix: str = ""  # empty, or ends with "/"
    endpoint: str | None = None  # None: AWS's own endpoint for the region
    region: str = DEFAULT_REGION

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """The location ``url`` names; ValueError saying what to change when it is not one."""
        try:
            parts = urlsplit(url)
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError as exc:
            raise ValueError(f"storage_url must look like {EXAMPLE}: {exc}") from exc
        if parts.scheme != "s3":
            raise ValueError(f"storage_url must look like {EXAMPLE}, not {url[:200]!r}")
        if "@" in parts.netloc:
            raise ValueError(
                "storage_url must not hold credentials: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY in the server's environment instead"
            )
        if not _BUCKET.match(parts.netloc) or ".." in parts.netloc:
            raise ValueError(
                f"storage_url: {parts.netloc[:100]!r} is not an S3 bucket name (3 to 63 "
                "lower-case letters, digits, dots and hyphens)"
            )
        if parts.fragment:
            raise ValueError(f"storage_url must not have a #fragment; it must look like {EXAMPLE}")
        prefix = parts.path.strip("/")
        segments = prefix.split("/") if prefix else []
        if not _PREFIX.match(prefix) or any(s in ("", ".", "..") for s in segments):
            raise ValueError(
                f"storage_url: the prefix {prefix[:200]!r} may hold letters, digits and "
                "!_.*'()- separated by single slashes"
            )
        unknown = sorted(set(query) - set(_PARAMETERS))
        if unknown:
            raise ValueError(
                f"storage_url: unknown parameter {unknown[0]!r}; the parameters are "
                + ", ".join(_PARAMETERS)
            )
        for name, values in query.items():
            if len(values) != 1:
                raise ValueError(f"storage_url: give {name} once")
        endpoint = query["endpoint"][0] if "endpoint" in query else None
        if endpoint is not None:
            checked = urlsplit(endpoint)
            if checked.scheme not in ("http", "https") or not checked.hostname:
                raise ValueError(
                    f"storage_url: endpoint must be http://HOST:PORT or https://HOST, not "
                    f"{endpoint[:200]!r}"
                )
            endpoint = endpoint.rstrip("/")
        region = query["region"][0] if "region" in query else DEFAULT_REGION
        if not _REGION.match(region):
            raise ValueError(f"storage_url: region {region[:100]!r} is not a region name")
        return cls(parts.netloc, f"{prefix}/" if prefix else "", endpoint, region)

    def __str__(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"


__all__ = ["EXAMPLE", "S3Location"]
