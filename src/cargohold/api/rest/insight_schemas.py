"""The component schemas of scans, components, findings and where-used in the OpenAPI
document."""

from __future__ import annotations

from cargohold.api.rest.schemas import STRING, Json, array, body, nullable, obj, ref, schema


def insight_schemas() -> Json:
    """Scans, components, findings, where-used."""
    severity = schema("string", enum=["NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"])
    time = schema("string", format="date-time")
    package = obj(
        name=STRING,
        version=STRING,
        purl=schema("string", "A package URL."),
        ecosystem=schema("string", "The OSV ecosystem: Debian, PyPI, npm, Maven, Go, …"),
    )
    evidence = schema(
        "string",
        "Where it was found, through nested archives: `sha256:<layer>!/opt/app/web.war!/"
        "WEB-INF/lib/x.jar`.",
    )
    location = obj(
        ["type", "repository", "path", "digest"],
        type=schema("string", enum=["image", "file", "build"]),
        repository=STRING,
        path=schema(
            "string", "The image name in the repository, the file's path, or a build's NAME/NUMBER."
        ),
        digest=STRING,
        tags=array(STRING, "An image's tags."),
        artifact=schema("string", "A build's artifact: the image name or file path."),
    )
    return {
        "Scan": obj(
            digest=STRING,
            kind=schema("string", enum=["image", "file"]),
            name=schema("string", "Where it was first pushed: `dev/team/app`, `KEY/PATH`."),
            status=schema("string", enum=["pending", "done", "incomplete", "failed"]),
            reasons=array(STRING, "Why it is incomplete or failed: the limit hit and where."),
            requested=time,
            scanned=nullable(time),
            matched=nullable(time),
        ),
        "ScanRequest": {
            "type": "object",
            "description": "One of image (`REPO/NAME:TAG` or `@DIGEST`), file (`KEY/PATH`) "
            "or digest (an artifact scanned before).",
            "properties": {
                "image": STRING,
                "file": STRING,
                "digest": STRING,
                "force": schema("boolean", "Scan again even if it was.", default=False),
            },
            "additionalProperties": False,
        },
        "QueuedScan": {
            "allOf": [
                ref("Scan"),
                obj(queued=schema("boolean", "Whether a scan job was queued now.")),
            ]
        },
        "SbomAttach": body(
            ["image"],
            image=schema("string", "`dev/team/app:1.4` or `dev/team/app@sha256:…`."),
            format=schema("string", enum=["cyclonedx", "spdx"], default="cyclonedx"),
        ),
        "AttachedSbom": obj(
            digest=schema("string", "The referrer manifest's digest."),
            subject=schema("string", "The image's digest."),
            artifactType=STRING,
            image=schema("string", "`REPO/NAME` it was pushed to."),
        ),
        "Components": obj(
            items=array(
                {
                    "allOf": [
                        package,
                        obj(
                            evidence=evidence,
                            licenses=array(STRING),
                            cataloger=STRING,
                            visible=schema(
                                "boolean", "False: a later layer deleted or replaced it."
                            ),
                        ),
                    ]
                }
            )
        ),
        "Vulnerabilities": obj(
            digest=STRING,
            status=schema("string", enum=["pending", "done", "incomplete", "failed"]),
            reasons=array(STRING),
            findings=array(
                obj(
                    advisory=schema("string", "The OSV id."),
                    aliases=array(STRING),
                    summary=STRING,
                    severity=severity,
                    fixed_in=array(STRING, "Versions that fix it."),
                    component=package,
                    evidence=evidence,
                    found=time,
                ),
                "Worst first.",
            ),
        ),
        "Affected": obj(
            digest=STRING,
            advisory=STRING,
            severity=severity,
            found=time,
            locations=array(location),
        ),
        "ImpactItem": obj(
            ["digest", "component", "evidence", "locations"],
            digest=STRING,
            component=package,
            evidence=evidence,
            locations=array(location),
            advisory=STRING,
            undecided=schema("string", "Why the version could not be placed in the range."),
        ),
    }


__all__ = ["insight_schemas"]
