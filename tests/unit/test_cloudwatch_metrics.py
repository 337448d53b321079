import json

from chalicelib import cloudwatch, config


def test_count_writes_one_emf_line_the_sla_alarm_can_read(capsys, monkeypatch):
    monkeypatch.setenv("CRM_STAGE", "prod")
    config.reset()
    cloudwatch.count("SlaBreaches", agency_id="dinas-bina-marga")
    line = json.loads(capsys.readouterr().out)
    definition = line["_aws"]["CloudWatchMetrics"][0]
    assert definition["Namespace"] == "CRM/prod"
    assert definition["Metrics"] == [{"Name": "SlaBreaches", "Unit": "Count"}]
    assert definition["Dimensions"] == [[], ["agency_id"]], "the total for the alarm, and per agency"
    assert line["SlaBreaches"] == 1 and line["agency_id"] == "dinas-bina-marga"
