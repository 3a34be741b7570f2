"""Maven (Debian's ``mvn``), as users run it, against cargohold's Maven repositories on
loopback: ``mvn deploy`` of a release and of a snapshot twice (builds 1 and 2, numbered from
the metadata the server keeps), a refused redeploy of the release with the reason in mvn's
output, ``deploy:deploy-file`` with an API token, a second project resolving both from
cargohold with credentials and strict checksums, and a download blocked by a policy naming
the policy and the advisory. Plugins come from Debian's ``/usr/share/maven-repo`` (the
Debian packages ``scripts/test`` installs); nothing is asked of Maven Central."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.maven_artifacts import bundling, jar
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

# Debian's maven, a JDK and the Maven plugins: scripts/test installs them.
pytestmark = pytest.mark.e2e
AUTH = (ADMIN_USER, ADMIN_PASSWORD)
DEPLOYER, DEPLOYER_PASSWORD = "ci-maven", "ci-maven-secret-1"
LOG4SHELL = "GHSA-jfh8-c2jp-5v3q"
DEPLOY_FILE = "org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file"
GET = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get"
SETTINGS = """<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <servers>
    <server><id>cargohold</id><username>{user}</username><password>{password}</password></server>
    <server><id>cargohold-token</id><username>{user}</username><password>{token}</password></server>
  </servers>
  <profiles><profile><id>debian-central</id>
    <repositories><repository><id>central</id><url>file:///usr/share/maven-repo</url>
      <releases><checksumPolicy>ignore</checksumPolicy></releases>
      <snapshots><enabled>false</enabled></snapshots></repository></repositories>
    <pluginRepositories><pluginRepository><id>central</id><url>file:///usr/share/maven-repo</url>
      <releases><checksumPolicy>ignore</checksumPolicy></releases>
      <snapshots><enabled>false</enabled></snapshots></pluginRepository></pluginRepositories>
  </profile></profiles>
  <activeProfiles><activeProfile>debian-central</activeProfile></activeProfiles>
</settings>
"""
PROJECT = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>{artifact}</artifactId>
  <version>{version}</version>
  <properties>
    <maven.compiler.source>17</maven.compiler.source>
    <maven.compiler.target>17</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <distributionManagement>
    <repository><id>cargohold</id><url>{url}</url></repository>
    <snapshotRepository><id>cargohold</id><url>{url}</url></snapshotRepository>
  </distributionManagement>
  <repositories>
    <repository><id>cargohold</id><url>{url}</url>
      <releases><checksumPolicy>fail</checksumPolicy></releases>
      <snapshots><enabled>true</enabled><updatePolicy>always</updatePolicy>
        <checksumPolicy>fail</checksumPolicy></snapshots>
    </repository>
  </repositories>
  <dependencies>{dependencies}</dependencies>
</project>
"""


@dataclass(frozen=True)
class Mvn:
    settings: Path
    local: Path  # the local repository: private to these tests

    def run(self, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [
                "mvn",
                "-B",
                "-ntp",
                "-s",
                str(self.settings),
                f"-Dmaven.repo.local={self.local}",
                *args,
            ],
            check=False,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        return done


def project(root: Path, artifact: str, version: str, url: str, dependencies: str = "") -> Path:
    directory = root / artifact
    source = directory / "src/main/java/com/example" / artifact
    source.mkdir(parents=True, exist_ok=True)
    (directory / "pom.xml").write_text(
        PROJECT.format(artifact=artifact, version=version, url=url, dependencies=dependencies)
    )
    return directory


def dependency(artifact: str, version: str) -> str:
    return (
        f"<dependency><groupId>com.example</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{version}</version></dependency>"
    )


def url(server: CargoholdServer, key: str) -> str:
    return f"{server.url}/maven/{key}"


@pytest.fixture(scope="module")
def setup(server: CargoholdServer) -> CargoholdServer:
    admin = server.admin
    for key in ("libs", "libs-blocked"):
        admin.call("POST", "/repositories", 201, {"key": key, "format": "maven"})
    admin.create_user(DEPLOYER, DEPLOYER_PASSWORD)
    admin.grant(f"user:{DEPLOYER}", ["libs", "libs-blocked"], ["read", "write"])
    return server


@pytest.fixture(scope="module")
def mvn(setup: CargoholdServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mvn]:
    home = tmp_path_factory.mktemp("maven")
    token = setup.rest_as(DEPLOYER, DEPLOYER_PASSWORD).create_token(
        "deploys from CI", {"libs": ["read", "write"], "libs-blocked": ["read", "write"]}
    )
    settings = home / "settings.xml"
    settings.write_text(SETTINGS.format(user=DEPLOYER, password=DEPLOYER_PASSWORD, token=token))
    yield Mvn(settings, home / "m2")


def metadata(server: CargoholdServer, path: str) -> str:
    response = httpx.get(f"{url(server, 'libs')}/{path}", auth=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def test_deploys_of_a_release_and_snapshots_resolve_in_another_project(
    mvn: Mvn, setup: CargoholdServer, tmp_path: Path
) -> None:
    libs = url(setup, "libs")
    hello = project(tmp_path, "hello", "1.0", libs)
    (hello / "src/main/java/com/example/hello/Hello.java").write_text(
        "package com.example.hello;\n"
        'public class Hello { public static String greet() { return "hello"; } }\n'
    )
    mvn.run("deploy", cwd=hello)
    served = httpx.get(f"{libs}/com/example/hello/1.0/hello-1.0.jar", auth=AUTH, timeout=30)
    assert served.status_code == 200
    built = (hello / "target/hello-1.0.jar").read_bytes()
    assert served.content == built

    # The same bytes again (a retried deploy) pass; a changed build of the release is
    # refused, and mvn says why.
    mvn.run("deploy", cwd=hello)
    (hello / "src/main/java/com/example/hello/Hello.java").write_text(
        "package com.example.hello;\n"
        'public class Hello { public static String greet() { return "changed"; } }\n'
    )
    again = mvn.run("deploy", cwd=hello, check=False)
    assert again.returncode != 0
    assert (
        "status: 409 Conflict: com.example:hello:1.0 is already deployed in 'libs' with "
        "another hello-1.0.jar" in again.stdout
    ), again.stdout[-4000:]
    served = httpx.get(f"{libs}/com/example/hello/1.0/hello-1.0.jar", auth=AUTH, timeout=30)
    assert served.content == built

    hello = project(tmp_path, "hello", "1.1-SNAPSHOT", libs)
    mvn.run("deploy", cwd=hello)
    mvn.run("deploy", cwd=hello)
    gav = metadata(setup, "com/example/hello/1.1-SNAPSHOT/maven-metadata.xml")
    assert re.findall(r"<buildNumber>(\d+)</buildNumber>", gav) == ["2"]
    (build,) = set(re.findall(r"<value>1\.1-(\d{8}\.\d{6}-2)</value>", gav))
    builds = sorted(
        set(
            re.findall(
                r"hello-1\.1-\d{8}\.\d{6}-(\d+)\.jar",
                httpx.get(
                    f"{setup.url}/api/v1/packages/libs/com.example:hello/versions",
                    auth=AUTH,
                    timeout=30,
                ).text,
            )
        )
    )
    assert builds == ["1", "2"]
    ga = metadata(setup, "com/example/hello/maven-metadata.xml")
    assert re.findall(r"<version>([^<]+)</version>", ga) == ["1.0", "1.1-SNAPSHOT"]
    assert "<release>1.0</release>" in ga

    # Another project resolves the snapshot (and the release) from cargohold, with
    # credentials and strict checksums, into a local repository the deploys never filled.
    consumer = Mvn(mvn.settings, tmp_path / "m2")
    app = project(tmp_path, "app", "1.0", libs, dependency("hello", "1.1-SNAPSHOT"))
    (app / "src/main/java/com/example/app/App.java").write_text(
        "package com.example.app;\n"
        "public class App { public static void main(String[] a) "
        "{ System.out.println(com.example.hello.Hello.greet()); } }\n"
    )
    consumer.run("compile", cwd=app)
    assert (app / "target/classes/com/example/app/App.class").is_file()
    resolved = consumer.local / "com/example/hello/1.1-SNAPSHOT"
    newest = httpx.get(f"{libs}/com/example/hello/1.1-SNAPSHOT/hello-1.1-{build}.jar", auth=AUTH)
    assert (resolved / f"hello-1.1-{build}.jar").read_bytes() == newest.content
    consumer.run(
        GET,
        "-Dartifact=com.example:hello:1.0",
        f"-DremoteRepositories=cargohold::default::{libs}",
        cwd=app,
    )
    assert (consumer.local / "com/example/hello/1.0/hello-1.0.jar").read_bytes() == built


def test_deploy_file_with_a_token_then_resolved(
    mvn: Mvn, setup: CargoholdServer, tmp_path: Path
) -> None:
    libs = url(setup, "libs")
    tool = tmp_path / "tool.jar"
    tool.write_bytes(jar({"tool.txt": b"a tool"}))
    mvn.run(
        DEPLOY_FILE,
        f"-Dfile={tool}",
        "-DgroupId=com.example.tools",
        "-DartifactId=tool",
        "-Dversion=2.0",
        "-Dpackaging=jar",
        f"-Durl={libs}",
        "-DrepositoryId=cargohold-token",
        cwd=tmp_path,
    )
    pom = httpx.get(f"{libs}/com/example/tools/tool/2.0/tool-2.0.pom", auth=AUTH, timeout=30)
    assert pom.status_code == 200 and "<artifactId>tool</artifactId>" in pom.text
    mvn.run(
        GET,
        "-Dartifact=com.example.tools:tool:2.0",
        f"-DremoteRepositories=cargohold::default::{libs}",
        cwd=tmp_path,
    )
    assert (mvn.local / "com/example/tools/tool/2.0/tool-2.0.jar").read_bytes() == tool.read_bytes()


def test_a_download_blocked_by_a_policy_names_the_policy_and_the_advisory(
    mvn: Mvn, setup: CargoholdServer, tmp_path: Path
) -> None:
    blocked = url(setup, "libs-blocked")
    data = bundling("org.apache.logging.log4j", "log4j-core", "2.14.1")
    shaded = f"{blocked}/com/example/shaded/1.0/shaded-1.0.jar"
    assert httpx.put(shaded, content=data, auth=AUTH, timeout=30).status_code == 201
    setup.admin.call("POST", "/vulndb/import", 200, [log4shell()])
    wait_for_scan(setup, "sha256:" + hashlib.sha256(data).hexdigest())
    # Where-used finds the deployed jar by what it bundles, as any stored file.
    impact = setup.admin.call("GET", "/impact?advisory=CVE-2021-44228", 200)
    (found,) = impact["items"]
    assert found["component"]["name"] == "org.apache.logging.log4j:log4j-core"
    assert [(at["repository"], at["path"]) for at in found["locations"]] == [
        ("libs-blocked", "com/example/shaded/1.0/shaded-1.0.jar")
    ]
    setup.admin.call(
        "POST",
        "/policies",
        201,
        {
            "name": "no-critical",
            "rules": {"minSeverity": "CRITICAL"},
            "actions": {"blockDownload": True},
        },
    )
    setup.admin.call(
        "POST",
        "/watches",
        201,
        {"name": "java-gate", "repositories": ["libs-blocked"], "policies": ["no-critical"]},
    )
    refused = mvn.run(
        GET,
        "-Dartifact=com.example:shaded:1.0",
        "-Dtransitive=false",
        f"-DremoteRepositories=cargohold::default::{blocked}",
        cwd=tmp_path,
        check=False,
    )
    assert refused.returncode != 0
    assert (
        f'status: 403 blocked by policy "no-critical" (watch "java-gate"): {LOG4SHELL} '
        "(CRITICAL) in org.apache.logging.log4j:log4j-core 2.14.1" in refused.stdout
    ), refused.stdout[-4000:]


def log4shell() -> dict[str, object]:
    return {
        "id": LOG4SHELL,
        "modified": "2024-03-21T17:24:12Z",
        "aliases": ["CVE-2021-44228"],
        "summary": "Remote code injection in Log4j",
        "affected": [
            {
                "package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}
                ],
            }
        ],
        "database_specific": {"severity": "CRITICAL"},
    }


def wait_for_scan(server: CargoholdServer, digest: str, timeout: float = 60) -> None:
    """Until the server's worker has scanned ``digest`` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{server.url}/api/v1/artifacts/{digest}/scan", auth=AUTH, timeout=10)
        if response.status_code == 200 and response.json().get("status") == "done":
            return
        time.sleep(0.5)
    raise AssertionError(f"{digest} was not scanned in {timeout} s")
