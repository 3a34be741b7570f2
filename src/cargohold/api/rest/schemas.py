"""The component schemas of the OpenAPI document: every object the REST API reads or writes,
and the small builders they are written with."""

from __future__ import annotations

from typing import Any

from cargohold.registry.events.webhooks import DEFAULT_EVENTS, EVENT_KINDS
from cargohold.registry.identity.permissions import Action

Json = dict[str, Any]


def schema(kind: str, description: str = "", **keywords: Any) -> Json:
    return {"type": kind} | ({"description": description} if description else {}) | keywords


def ref(name: str, section: str = "schemas") -> Json:
    return {"$ref": f"#/components/{section}/{name}"}


def nullable(schema: Json, description: str = "") -> Json:
    nullable: Json = {"oneOf": [schema, {"type": "null"}]}
    return nullable | ({"description": description} if description else {})


def array(items: Json, description: str = "", **keywords: Any) -> Json:
    return schema("array", description, items=items, **keywords)


def obj(required: list[str] | None = None, **properties: Json) -> Json:
    """An object with these properties; all of them required unless ``required`` says."""
    keys = list(properties) if required is None else required
    return {"type": "object", "required": keys, "properties": properties}


def body(required: list[str], **properties: Json) -> Json:
    """A request body: the server refuses fields it does not know (400)."""
    return obj(required, **properties) | {"additionalProperties": False}


STRING = schema("string")
BOOLEAN = schema("boolean")
INTEGER = schema("integer")
NAMES = array(STRING)
TIMESTAMP = schema(
    "string", "RFC 3339, UTC.", format="date-time", examples=["2026-11-26T10:00:00Z"]
)
ACCOUNT_NAME = schema("string", pattern="^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
ACTIONS = array(ref("Action"), minItems=1)
SCOPES = nullable(array(ref("Scope")), "null: all of the owner's rights.")
PASSWORD = schema("string", minLength=8, maxLength=1024, writeOnly=True)
TOKEN_KINDS = ["api", "cli", "refresh"]
RESULTS = ["ok", "unauthorized", "denied", "not-found", "throttled", "failed"]


def schemas() -> Json:
    return {
        "Action": schema("string", enum=[action.value for action in Action]),
        "Problem": obj(
            type=schema("string", format="uri-reference"),
            title=STRING,
            status=INTEGER,
            detail=STRING,
            instance=STRING,
            code=schema("string", examples=["NOT_FOUND", "DENIED"]),
        ),
        "Next": nullable(STRING, "The cursor of the next page, for `after`; null on the last."),
        "Health": obj(status=schema("string", enum=["ok"])),
        "KeyRotation": obj(kid=schema("string", "The id of the new signing key.")),
        "Repository": obj(
            key=STRING,
            format=STRING,
            kind=STRING,
            anonymousRead=BOOLEAN,
            immutableTags=schema(
                "boolean", "An existing tag can be neither overwritten nor deleted."
            ),
            description=STRING,
        ),
        "RepositoryCreate": body(
            ["key"],
            key=schema("string", examples=["team-app"]),
            format=schema("string", default="docker"),
            kind=schema("string", default="local"),
            description=schema("string", default=""),
            anonymousRead=schema("boolean", default=False),
            immutableTags=schema("boolean", default=False),
        ),
        "RepositoryUpdate": body(
            [], anonymousRead=BOOLEAN, immutableTags=BOOLEAN, description=STRING
        ),
        "User": obj(
            name=STRING,
            admin=BOOLEAN,
            service=BOOLEAN,
            email=nullable(STRING),
            created=TIMESTAMP,
            groups=array(STRING, "The names of the user's groups."),
        ),
        "UserCreate": body(
            ["name"],
            name=ACCOUNT_NAME,
            password=PASSWORD,
            admin=schema("boolean", default=False),
            service=schema(
                "boolean",
                "A service account has no password; it signs in only with API tokens.",
                default=False,
            ),
            email=STRING,
        )
        | {
            "description": "`password` is required unless `service` is true.",
            "if": {"properties": {"service": {"const": True}}, "required": ["service"]},
            "then": {"not": {"required": ["password"]}},
            "else": {"required": ["password"]},
        },
        "UserUpdate": body([], password=PASSWORD, admin=BOOLEAN, email=STRING),
        "Me": {
            "description": "The caller; `token` is the API token of this request, if any.",
            "allOf": [ref("User"), obj(token=nullable(obj(id=STRING, scopes=SCOPES)))],
        },
        "Group": obj(name=STRING, description=STRING, members=NAMES, created=TIMESTAMP),
        "GroupCreate": body(
            ["name"], name=ACCOUNT_NAME, description=schema("string", default=""), members=NAMES
        ),
        "GroupUpdate": body(
            [],
            description=STRING,
            members=array(STRING, "Replaces all members."),
            add=array(STRING, "Members to add."),
            remove=array(STRING, "Members to remove."),
        ),
        "Permission": obj(
            id=STRING, principal=STRING, repositories=NAMES, actions=ACTIONS, created=TIMESTAMP
        ),
        "PermissionCreate": body(
            ["principal", "repositories", "actions"],
            principal=schema(
                "string", pattern="^(user|group):.+$", examples=["user:reader", "group:devs"]
            ),
            repositories=array(
                STRING, "Repository keys; `*` is a wildcard, as in `team-*`.", minItems=1
            ),
            actions=ACTIONS,
        ),
        "Scope": obj(repository=STRING, actions=ACTIONS),
        "Token": obj(
            id=STRING,
            owner=STRING,
            kind=schema("string", "`refresh`: made by `docker login`.", enum=TOKEN_KINDS),
            description=STRING,
            scopes=SCOPES,
            created=TIMESTAMP,
            expires=nullable(TIMESTAMP, "null: never expires."),
        ),
        "TokenCreate": body(
            ["description"],
            description=STRING,
            scopes=array(ref("Scope"), "Omitted: all of the owner's rights; beyond them: 403."),
            expires_in=schema(
                "integer", "Seconds; omitted: never expires.", minimum=1, maximum=366 * 24 * 3600
            ),
            owner=schema("string", "Someone other than the caller: admin only."),
            kind=schema("string", enum=TOKEN_KINDS[:2], default="api"),
        ),
        "NewToken": {
            "description": "A new token, with its secret: shown this once.",
            "allOf": [
                ref("Token"),
                obj(token=schema("string", pattern="^chk_[0-9a-f]{16}_.+$")),
            ],
        },
        "AuditEvent": obj(
            id=INTEGER,
            time=TIMESTAMP,
            principal=STRING,
            tokenId=nullable(STRING),
            action=schema("string", examples=["manifest.push", "login.failed"]),
            target=STRING,
            repository=nullable(STRING),
            status=INTEGER,
            result=schema("string", enum=RESULTS),
            client=STRING,
        ),
        **lifecycle_schemas(),
        **generic_schemas(),
        **event_schemas(),
        **search_and_build_schemas(),
    }


PROPERTY_VALUES = schema(
    "object",
    "Key → values; a single string counts as one value.",
    additionalProperties={"oneOf": [STRING, array(STRING)]},
)


def lifecycle_schemas() -> Json:
    """Promotion and properties."""
    return {
        "DockerPromotion": body(
            ["targetRepo", "dockerRepository"],
            targetRepo=STRING,
            dockerRepository=schema(
                "string", "The image name, e.g. team/app.", examples=["team/app"]
            ),
            targetDockerRepository=schema("string", "Default: the same name."),
            tag=schema("string", "Default: every tag of the image."),
            targetTag=schema("string", "Default: the same tag; needs tag."),
            copy=schema(
                "boolean", "false moves the image (needs delete on the source).", default=False
            ),
            dryRun=schema("boolean", default=False),
            properties=PROPERTY_VALUES,
            comment=STRING,
        ),
        "Promotion": obj(
            id=STRING,
            time=TIMESTAMP,
            principal=STRING,
            tokenId=nullable(STRING),
            kind=schema("string", enum=["docker", "generic", "build"]),
            sourceRepo=STRING,
            targetRepo=STRING,
            source=STRING,
            target=STRING,
            digest=nullable(STRING),
            tags=NAMES,
            copy=BOOLEAN,
            dryRun=BOOLEAN,
            comment=STRING,
            properties=schema("object", additionalProperties=array(STRING)),
            status=INTEGER,
            result=STRING,
            message=STRING,
        ),
        "PromotionResult": obj(
            sourceRepo=STRING,
            targetRepo=STRING,
            dockerRepository=STRING,
            targetDockerRepository=STRING,
            tags=schema("object", "Target tag → digest.", additionalProperties=STRING),
            copy=BOOLEAN,
            dryRun=BOOLEAN,
            promotions=array(ref("Promotion")),
            messages=array(obj(level=STRING, message=STRING)),
        ),
        "Properties": obj(
            repository=STRING,
            subject=schema(
                "string", examples=["image:team/app@sha256:…", "tag:team/app:1.0", "file:a/b.tgz"]
            ),
            properties=schema("object", additionalProperties=array(STRING)),
        ),
        "PropertiesUpdate": body(
            ["properties"],
            properties=PROPERTY_VALUES,
            replace=schema("boolean", "Remove the keys not given.", default=False),
        ),
    }


def generic_schemas() -> Json:
    """Generic files and their promotion."""
    hex_digest = schema("string", pattern="^[0-9a-f]+$")
    return {
        "GenericFile": obj(
            path=schema("string", examples=["web/1.4/app.tgz"]),
            size=INTEGER,
            sha256=hex_digest,
            sha1=hex_digest,
            md5=hex_digest,
            created=TIMESTAMP,
            lastModified=TIMESTAMP,
            createdBy=STRING,
        ),
        "GenericPromotion": body(
            ["targetRepo", "path"],
            targetRepo=STRING,
            path=schema(
                "string", "A file or a folder; `/` is the whole repository.", examples=["web/1.4"]
            ),
            targetPath=schema("string", "Where `path` lands. Default: the same path."),
            copy=schema(
                "boolean", "false moves the files (needs delete on the source).", default=False
            ),
            dryRun=schema("boolean", default=False),
            properties=PROPERTY_VALUES,
            comment=STRING,
        ),
        "GenericPromotionResult": obj(
            sourceRepo=STRING,
            targetRepo=STRING,
            copy=BOOLEAN,
            dryRun=BOOLEAN,
            files=array(obj(path=STRING, targetPath=STRING, sha256=hex_digest, size=INTEGER)),
            promotions=array(ref("Promotion")),
            messages=array(obj(level=STRING, message=STRING)),
        ),
    }


def event_schemas() -> Json:
    """Background jobs, webhooks, their deliveries and the CloudEvent they carry."""
    kinds = schema("string", enum=list(EVENT_KINDS))
    secret = schema(
        "string",
        "Signs each delivery (HMAC-SHA256); write-only, never shown.",
        minLength=16,
        maxLength=255,
        writeOnly=True,
    )
    patterns = array(STRING, "Repository keys or patterns, e.g. `dev`, `team-*`.", minItems=1)
    return {
        "VulnDbStats": obj(count=schema("integer", "Advisories stored.", minimum=0)),
        "VulnDbImport": obj(
            added=schema("integer", "New advisories.", minimum=0),
            updated=schema("integer", "Stored advisories replaced by a newer one.", minimum=0),
            unchanged=schema("integer", "Advisories already stored as they are.", minimum=0),
            problems=array(STRING, "Skipped records: `where: reason`."),
        ),
        "Advisory": {
            "type": "object",
            "description": "The OSV record as imported, plus `severity`.",
            "required": ["id", "modified", "severity"],
            "properties": {
                "id": STRING,
                "modified": STRING,
                "severity": schema(
                    "string", enum=["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"]
                ),
            },
        },
        "Job": obj(
            id=STRING,
            kind=schema("string", examples=["webhook.deliver"]),
            state=schema("string", enum=["queued", "running", "done", "failed"]),
            key=nullable(STRING, "At most one live job per key; cleared when it ends."),
            payload=schema("object"),
            attempts=INTEGER,
            maxAttempts=INTEGER,
            runAfter=TIMESTAMP,
            leaseOwner=nullable(STRING, "The worker running it (host:pid:random)."),
            leaseUntil=nullable(TIMESTAMP, "A worker that stops renewing loses it then."),
            lastError=nullable(STRING),
            result=nullable(schema("object")),
            created=TIMESTAMP,
            finished=nullable(TIMESTAMP),
        ),
        "Webhook": obj(
            id=STRING,
            name=STRING,
            url=schema("string", format="uri"),
            repositories=NAMES,
            events=array(kinds),
            enabled=BOOLEAN,
            created=TIMESTAMP,
            createdBy=STRING,
        ),
        "WebhookCreate": body(
            ["name", "url", "secret"],
            name=schema("string", minLength=1, maxLength=128),
            url=schema("string", "http:// or https://.", format="uri", maxLength=2048),
            secret=secret,
            repositories=patterns | {"default": ["*"]},
            events=array(kinds, minItems=1) | {"default": list(DEFAULT_EVENTS)},
            enabled=schema("boolean", default=True),
        ),
        "WebhookUpdate": body(
            [],
            name=schema("string", minLength=1, maxLength=128),
            url=schema("string", format="uri", maxLength=2048),
            secret=secret,
            repositories=patterns,
            events=array(kinds, minItems=1),
            enabled=BOOLEAN,
        ),
        "WebhookDelivery": obj(
            id=schema("string", "Sent as `X-Cargohold-Delivery`, the same on every attempt."),
            eventId=schema("string", "The CloudEvent id.", format="uuid"),
            type=schema("string", examples=["dev.cargohold.push"]),
            repository=nullable(STRING),
            subject=STRING,
            state=schema("string", enum=["pending", "delivered", "failed"]),
            attempts=INTEGER,
            statusCode=nullable(INTEGER, "The receiver's answer to the last attempt."),
            error=nullable(STRING, "What went wrong with the last attempt."),
            created=TIMESTAMP,
            delivered=nullable(TIMESTAMP),
        ),
        "CloudEvent": obj(
            specversion=schema("string", const="1.0"),
            type=schema("string", enum=[f"dev.cargohold.{k}" for k in kinds["enum"]]),
            source=schema("string", examples=["/repositories/dev"]),
            id=schema("string", format="uuid"),
            time=schema("string", format="date-time"),
            subject=schema("string", "The image name (without the repository) or file path."),
            datacontenttype=schema("string", const="application/json"),
            data=schema(
                "object",
                "repository, image, name, digest, tag, mediaType, principal, … by event kind.",
            ),
        ),
    }


def search_and_build_schemas() -> Json:
    """Search results, and CI build info with its promotion."""
    values = schema("object", "Key → values.", additionalProperties=array(STRING))
    kinds = schema("string", enum=["docker", "generic"])
    artifact = {
        "type": kinds,
        "repository": STRING,
        "name": schema("string", "The image name (team/app) or the file path."),
        "digest": schema("string", examples=["sha256:…"]),
        "tag": schema("string", "Images only."),
    }
    dependency = {"id": STRING, "digest": STRING}
    return {
        "SearchItem": obj(
            type=schema("string", enum=["image", "file"]),
            repository=STRING,
            name=schema("string", "The image name (team/app) or the file path."),
            digest=STRING,
            tags=array(STRING, "An image's tags (none for a file)."),
            size=schema("integer", "Bytes: a file's; an image's manifest, config and layers."),
            created=TIMESTAMP,
            modified=TIMESTAMP,
            properties=values,
        ),
        "BuildArtifact": obj(["type", "repository", "name", "digest"], **artifact),
        "BuildDependency": obj(id=STRING, digest=STRING),
        "BuildModule": obj(
            id=STRING,
            artifacts=array(ref("BuildArtifact")),
            dependencies=array(ref("BuildDependency")),
        ),
        "Build": obj(
            name=STRING,
            number=STRING,
            started=TIMESTAMP,
            url=STRING,
            properties=values,
            modules=array(ref("BuildModule")),
            created=TIMESTAMP,
            createdBy=STRING,
        ),
        "BuildStatus": obj(
            time=TIMESTAMP, status=STRING, comment=STRING, repository=STRING, principal=STRING
        ),
        "BuildDetail": {
            "description": "A build with its status history, oldest first.",
            "allOf": [ref("Build"), obj(statuses=array(ref("BuildStatus")))],
        },
        "BuildCreate": body(
            ["name", "number", "started"],
            name=schema("string", pattern="^[A-Za-z0-9][A-Za-z0-9._+:@ -]{0,254}$"),
            number=schema("string", pattern="^[A-Za-z0-9][A-Za-z0-9._+:-]{0,63}$"),
            started=TIMESTAMP,
            url=schema("string", "The CI job's URL.", maxLength=2000),
            properties=PROPERTY_VALUES,
            modules=array(
                body(
                    ["id"],
                    id=STRING,
                    artifacts=array(body(["type", "repository", "name", "digest"], **artifact)),
                    dependencies=array(body(["id", "digest"], **dependency)),
                ),
                maxItems=1000,
            ),
        ),
        "BuildPromotion": body(
            ["targetRepo"],
            targetRepo=STRING,
            targetRepos=body(
                [],
                docker=schema("string", "Where the images go; default targetRepo."),
                generic=schema("string", "Where the files go; default targetRepo."),
            ),
            status=schema("string", "Appended to the build's history.", default="promoted"),
            comment=STRING,
            copy=schema(
                "boolean", "false moves the artifacts (needs delete on the sources).", default=False
            ),
            dryRun=schema("boolean", "Check everything, change nothing.", default=False),
            properties=PROPERTY_VALUES,
        ),
        "BuildPromotionResult": obj(
            name=STRING,
            number=STRING,
            status=STRING,
            targetRepo=STRING,
            copy=BOOLEAN,
            dryRun=BOOLEAN,
            artifacts=array(
                obj(type=kinds, repository=STRING, name=STRING, digest=STRING, tags=NAMES)
            ),
        ),
    }


__all__ = [
    "ACCOUNT_NAME",
    "ACTIONS",
    "BOOLEAN",
    "INTEGER",
    "NAMES",
    "PASSWORD",
    "RESULTS",
    "SCOPES",
    "STRING",
    "TIMESTAMP",
    "TOKEN_KINDS",
    "Json",
    "array",
    "body",
    "nullable",
    "obj",
    "ref",
    "schema",
    "schemas",
]
