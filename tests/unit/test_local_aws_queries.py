"""The local stand-in's faster Query (and projection) answers exactly what moto's own does."""

import random

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from infra.local.aws_server import partition_sized_queries

INDEX = "geo-index"


@pytest.fixture
def table(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(Table, "query", Table.query)  # restored after the test
    with mock_aws():
        client = boto3.client("dynamodb")
        keys = ("PK", "SK", "g_pk", "g_sk")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in keys],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": INDEX,
                    "KeySchema": [
                        {"AttributeName": "g_pk", "KeyType": "HASH"},
                        {"AttributeName": "g_sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n", "card"]},
                }
            ],
        )
        rng = random.Random(3)
        for n in range(300):
            item = {
                "PK": {"S": f"P#{rng.randrange(12)}"},
                "SK": {"S": f"{rng.randrange(50):03d}#{n}"},
                "n": {"N": str(n)},
            }
            item["card"] = {"M": {"code": {"S": f"C{n}"}, "area": {"M": {"kota": {"S": "jakpus"}}}, "n": {"N": str(n)}}}
            item["tags"] = {"L": [{"S": "a"}, {"M": {"x": {"N": str(n % 7)}}}]}
            item["history"] = {"L": [{"M": {"type": {"S": "case.received"}, "at": {"S": "2026"}}}] * (n % 5)}
            if n % 3:  # sparse index, and ties on the index sort key broken by the table's keys
                item |= {"g_pk": {"S": f"G#{rng.randrange(5)}"}, "g_sk": {"S": f"{rng.randrange(10):02d}"}}
            client.put_item(TableName="t", Item=item)
        yield client


def every_page(client, **request):
    pages = []
    while True:
        page = client.query(TableName="t", **request)
        pages.append((page["Items"], page["Count"], page["ScannedCount"], page.get("LastEvaluatedKey")))
        if "LastEvaluatedKey" not in page:
            return pages
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


REQUESTS = [
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}}},
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#404"}}},
    {
        "KeyConditionExpression": "PK = :p AND SK >= :s",
        "ExpressionAttributeValues": {":p": {"S": "P#5"}, ":s": {"S": "020"}},
        "ScanIndexForward": False,
        "Limit": 7,
    },
    {
        "KeyConditionExpression": "PK = :p AND begins_with(SK, :s)",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":p": {"S": "P#7"}, ":s": {"S": "01"}, ":n": {"N": "100"}},
        "Limit": 3,
    },
    {"IndexName": INDEX, "KeyConditionExpression": "g_pk = :p", "ExpressionAttributeValues": {":p": {"S": "G#2"}}},
    {  # projections: nested paths, a list element, a map and a path inside it
        "KeyConditionExpression": "PK = :p",
        "ProjectionExpression": "card.code, card, tags[1].x, #n, absent_one, card.area.kota",
        "ExpressionAttributeNames": {"#n": "n"},
        "ExpressionAttributeValues": {":p": {"S": "P#2"}},
    },
    {
        "IndexName": INDEX,
        "KeyConditionExpression": "g_pk = :p",
        "ProjectionExpression": "card.area, g_sk",
        "ExpressionAttributeValues": {":p": {"S": "G#4"}},
        "ScanIndexForward": False,
        "Limit": 4,
    },
    {
        "IndexName": INDEX,
        "KeyConditionExpression": "g_pk = :p AND g_sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "G#1"}, ":a": {"S": "02"}, ":b": {"S": "06"}},
        "ScanIndexForward": False,
        "Limit": 9,
    },
]


def test_queries_answer_the_same_items_pages_and_counts(table):
    before = [every_page(table, **request) for request in REQUESTS]
    partition_sized_queries()
    assert Table.query.partition_sized
    after = [every_page(table, **request) for request in REQUESTS]
    assert after == before
    assert sum(len(items) for pages in before for items, *_ in pages) > 50  # the requests do find items


def test_no_query_sorts_the_whole_table_any_more(table, monkeypatch):
    listed = []
    original = Table.all_items
    monkeypatch.setattr(Table, "all_items", lambda self: listed.append(self.name) or original(self))
    every_page(table, **REQUESTS[0])
    assert listed == ["t"]  # moto's own Query lists (and sorts) every item
    listed.clear()
    partition_sized_queries()
    for request in REQUESTS:
        every_page(table, **request)
    assert listed == []


def test_a_projection_path_through_a_number_leaves_it_out_as_dynamodb_does(table):
    table.put_item(TableName="t", Item={"PK": {"S": "P#odd"}, "SK": {"S": "1"}, "card": {"N": "7"}})
    partition_sized_queries()
    odd = {":p": {"S": "P#odd"}}
    page = table.query(
        TableName="t",
        KeyConditionExpression="PK = :p",
        ProjectionExpression="card.code, SK",
        ExpressionAttributeValues=odd,
    )
    assert page["Items"] == [{"SK": {"S": "1"}}]


def test_applying_it_twice_wraps_once(table):
    partition_sized_queries()
    wrapped = Table.query
    partition_sized_queries()
    assert Table.query is wrapped


def test_an_index_query_sees_every_write_since_the_last_one(table):
    """The index partitions are kept between writes only: a put, an update that moves an
    item to another partition (in place, in moto) and a delete are all seen at once."""
    partition_sized_queries()
    g1 = {**REQUESTS[4], "ExpressionAttributeValues": {":p": {"S": "G#1"}}}
    before = every_page(table, **g1)
    first = before[0][0][0]
    key = {"PK": first["PK"], "SK": first["SK"]}
    table.update_item(
        TableName="t",
        Key=key,
        UpdateExpression="SET g_pk = :g",
        ExpressionAttributeValues={":g": {"S": "G#moved"}},
    )
    moved = {**REQUESTS[4], "ExpressionAttributeValues": {":p": {"S": "G#moved"}}}
    assert [item["SK"] for item in every_page(table, **moved)[0][0]] == [first["SK"]]
    assert first["SK"] not in [item["SK"] for items, *_ in every_page(table, **g1) for item in items]
    table.put_item(TableName="t", Item={**key, "g_pk": {"S": "G#1"}, "g_sk": {"S": "99"}})
    assert every_page(table, **moved)[0][0] == []
    table.delete_item(TableName="t", Key=key)
    left = [item for item in before[0][0] if item["SK"] != first["SK"]]
    assert every_page(table, **g1) == [(left, len(left), len(left), None)]


def test_reads_answered_as_plain_json_parse_as_moto_writes_them(table, monkeypatch):
    from moto.dynamodb.responses import DynamoHandler

    from infra.local.aws_server import plain_json_reads

    for name in ("get_item", "batch_get_item", "query", "scan", "crm_plain_json_reads"):
        monkeypatch.setattr(DynamoHandler, name, getattr(DynamoHandler, name, False), raising=False)
    table.put_item(TableName="t", Item={"PK": {"S": "P#bin"}, "SK": {"S": "1"}, "b": {"B": b"\x00\xff"}})
    keys = [{"PK": {"S": "P#3"}, "SK": item["SK"]} for item in every_page(table, **REQUESTS[0])[0][0]]

    def answers():
        return (
            [every_page(table, **request) for request in REQUESTS],
            table.get_item(TableName="t", Key=keys[0])["Item"],
            table.get_item(TableName="t", Key={"PK": {"S": "P#bin"}, "SK": {"S": "1"}})["Item"],
            table.get_item(TableName="t", Key={"PK": {"S": "P#none"}, "SK": {"S": "1"}}).get("Item"),
            table.batch_get_item(RequestItems={"t": {"Keys": keys}})["Responses"],
            table.scan(TableName="t", Limit=40)["Items"],
        )

    partition_sized_queries()
    before = answers()
    plain_json_reads()
    assert DynamoHandler.crm_plain_json_reads
    assert answers() == before
    assert before[2]["b"] == {"B": b"\x00\xff"} and len(before[4]["t"]) == len(keys) > 3
