"""Custom CloudWatch metrics as Embedded Metric Format (EMF) log lines.

Lambda ships stdout to CloudWatch Logs, which turns each EMF line into a
metric: no PutMetricData call, so no IAM permission and no latency. Namespace
``CRM/<stage>``. The SLA alarm in infra/template.yaml watches ``SlaBreaches``:

    from chalicelib import cloudwatch
    cloudwatch.count("SlaBreaches")                     # the total the alarm watches
    cloudwatch.count("SlaBreaches", agency_id="dinas-x")  # also per agency

Every distinct dimension value is a separate custom metric ($0.30/month
each), so use few (agencies, channels); never a tracking code or anything
about a reporter.
"""

from __future__ import annotations

import json
import sys
import time


def count(name: str, value: float = 1, **dimensions: str) -> None:
    from chalicelib.config import settings

    line = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": f"CRM/{settings().stage}",
                    # Always the total (no dimension, what the alarm watches); per dimension if given.
                    "Dimensions": [[], sorted(dimensions)] if dimensions else [[]],
                    "Metrics": [{"Name": name, "Unit": "Count"}],
                }
            ],
        },
        name: value,
        **dimensions,
    }
    sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
    sys.stdout.flush()
