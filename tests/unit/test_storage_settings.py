"""Where blobs are kept, and how clients fetch them, as an operator sets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargohold.app import open_blob_store
from cargohold.settings import Settings, SettingsError, load_settings
from cargohold.storage.filesystem import FilesystemBlobStore
from cargohold.storage.s3.location import S3Location


def test_the_default_is_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(environ={"CARGOHOLD_DATA_DIR": str(tmp_path)})
    assert settings.s3_location is None
    assert settings.blob_redirect == "off"
    assert isinstance(open_blob_store(settings), FilesystemBlobStore)
    assert load_settings(environ={"CARGOHOLD_STORAGE_URL": ""}).s3_location is None


def test_storage_url_from_the_environment() -> None:
    settings = load_settings(
        environ={
            "CARGOHOLD_STORAGE_URL": "s3://blobs/prod/eu/?endpoint=http://10.1.2.3:8333/&region=eu-west-1",
            "CARGOHOLD_BLOB_REDIRECT": "presigned",
            "CARGOHOLD_BLOB_REDIRECT_EXPIRY": "60",
        }
    )
    assert settings.s3_location == S3Location(
        "blobs", "prod/eu/", "http://10.1.2.3:8333", "eu-west-1"
    )
    assert settings.blob_redirect == "presigned"
    assert settings.blob_redirect_expiry == 60


def test_aws_itself_needs_no_endpoint() -> None:
    assert S3Location.parse("s3://my-bucket") == S3Location("my-bucket", "", None, "us-east-1")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/var/lib/blobs", "must look like s3://"),
        ("http://bucket/prefix", "must look like s3://"),
        ("s3://KEY:SECRET@bucket/", "AWS_ACCESS_KEY_ID"),
        ("s3://Bucket_Name/", "not an S3 bucket name"),
        ("s3:///prefix", "not an S3 bucket name"),
        ("s3://bucket/a//b", "separated by single slashes"),
        ("s3://bucket/a/../b", "separated by single slashes"),
        ("s3://bucket/p?endpoint=ftp://host", "endpoint must be http"),
        ("s3://bucket/p?endpoint=http://", "endpoint must be http"),
        ("s3://bucket/p?region=eu-west-1&region=us-east-1", "give region once"),
        ("s3://bucket/p?secret=x", "unknown parameter 'secret'"),
        ("s3://bucket/p?region=EU%20West", "not a region name"),
        ("s3://bucket/p#frag", "fragment"),
    ],
)
def test_a_bad_storage_url_says_what_to_change(url: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says.replace("?", r"\?")):
        Settings(storage_url=url).validated()


def test_presigned_redirects_need_an_object_store() -> None:
    with pytest.raises(SettingsError, match="needs blobs in an object store"):
        Settings(blob_redirect="presigned").validated()
    with pytest.raises(SettingsError, match="one of off, presigned"):
        Settings(storage_url="s3://bucket", blob_redirect="always").validated()
    with pytest.raises(SettingsError, match="between 10 and 3600"):
        Settings(storage_url="s3://bucket", blob_redirect_expiry=86400).validated()
