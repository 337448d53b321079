"""The stream handlers return partial batch responses (batchItemFailures), so
their event source mappings must say ReportBatchItemFailures: otherwise Lambda
reads a reported failure as success and skips the record and the rest of the
batch. Checked for both ways of deploying (package overlay, make deploy)."""

from infra import deploy, iam

SPEC = iam.load_functions()["functions"]
STREAM_FUNCTIONS = {name: spec for name, spec in SPEC.items() if spec.get("stream")}


def test_there_are_stream_handlers_to_check():
    assert "relay_case_events" in STREAM_FUNCTIONS


def test_every_stream_mapping_reports_batch_item_failures_and_has_a_destination():
    for name, spec in STREAM_FUNCTIONS.items():
        settings = deploy._stream_failure(spec, lambda text: text)
        assert settings["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        assert settings["BisectBatchOnFunctionError"] is True, name
        assert settings["MaximumRetryAttempts"] >= 1 and "OnFailure" in settings["DestinationConfig"], name


class _Lambda:
    def __init__(self):
        self.updates = []

    def list_event_source_mappings(self, FunctionName):  # noqa: N803 - boto3's names
        return {"EventSourceMappings": [{"UUID": f"uuid-{FunctionName}"}]}

    def update_event_source_mapping(self, **settings):
        self.updates.append(settings)


def test_make_deploy_sets_the_same_on_the_deployed_mappings():
    client = _Lambda()
    session = type("Session", (), {"client": lambda self, service: client})()
    outputs = {
        spec["stream"]["on_failure"]: f"arn:aws:sqs:ap-southeast-3:1:{name}" for name, spec in STREAM_FUNCTIONS.items()
    }
    deploy.configure_stream_failures("dev", STREAM_FUNCTIONS, outputs, session)
    assert len(client.updates) == len(STREAM_FUNCTIONS)
    for update in client.updates:
        assert update["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert update["BisectBatchOnFunctionError"] is True
