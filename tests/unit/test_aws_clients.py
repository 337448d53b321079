"""adapters/aws.py: one session for every client, whose loader finds a service by its directory.

botocore's own loader lists every service it ships and stats each one's model file before the first
client of each model kind; ours lists the service directories once. These tests pin that it still
finds every service botocore finds, rejects a name botocore rejects, and honours AWS_DATA_PATH.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.loaders import Loader

from chalicelib.adapters import aws


@pytest.fixture
def fresh_clients(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.reset()
    yield
    aws.reset()


def _loader():
    return aws._botocore_session().get_component("data_loader")


@pytest.mark.parametrize("kind", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_every_service_botocore_knows_is_known(kind):
    ours = set(_loader().list_available_services(kind))
    stock = set(Loader().list_available_services(kind))
    assert stock <= ours
    assert {"dynamodb", "ssm", "secretsmanager", "kms", "s3", "sns", "sqs"} <= ours
    assert not any("." in name for name in ours)  # endpoints.json, partitions.json and the like are not services


def test_clients_are_made_and_shared(fresh_clients):
    dynamodb = aws.client("dynamodb")
    assert aws.client("dynamodb") is dynamodb
    assert dynamodb.meta.service_model.service_name == "dynamodb"
    kms = aws.client("kms")
    assert kms.meta.service_model.service_name == "kms"
    assert "generate_data_key" in dir(kms)


def test_an_unknown_service_is_refused_as_botocore_refuses_it(fresh_clients):
    with pytest.raises(UnknownServiceError):
        aws.client("no-such-service")


def test_aws_data_path_is_searched(tmp_path, monkeypatch, fresh_clients):
    # A service directory of our own on AWS_DATA_PATH, as botocore supports for custom models.
    version = tmp_path / "crm-example" / "2026-12-06"
    version.mkdir(parents=True)
    model = {
        "version": "2.0",
        "metadata": {
            "apiVersion": "2026-12-06",
            "endpointPrefix": "crm-example",
            "protocol": "json",
            "serviceId": "CRM Example",
            "signatureVersion": "v4",
            "targetPrefix": "CrmExample",
            "jsonVersion": "1.1",
        },
        "operations": {},
        "shapes": {},
    }
    (version / "service-2.json").write_text(json.dumps(model))
    (tmp_path / "no-model" / "2026-12-06").mkdir(parents=True)  # a directory without the model asked for
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))

    loader = _loader()
    assert str(tmp_path) in loader.search_paths
    assert {"crm-example", "no-model"} <= set(loader.list_available_services("service-2"))
    assert loader.load_service_model("crm-example", "service-2")["metadata"]["serviceId"] == "CRM Example"
    with pytest.raises(DataNotFoundError):
        loader.load_service_model("no-model", "service-2")
