"""The component schemas of the OpenAPI document: every object the REST API reads or writes,
and the small builders they are written with."""

from __future__ import annotations

from typing import Any

from cargohold.registry.permissions import Action

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
