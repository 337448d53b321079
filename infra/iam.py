"""Least-privilege IAM for the Lambda functions, from infra/functions.yaml.

* ``aws_calls()`` finds every AWS API call the code makes, by reading
  chalicelib/ (``aws.client("svc").operation(...)``, a client kept in a
  variable, an attribute or a property, paginators and presigned URLs) and
  maps each to the IAM action(s) it needs. Nothing has to be registered by
  hand: a new call shows up here, and tests/deploy/test_iam.py fails until a
  function's policy allows it.
* ``policy_document()`` renders a function's policy with real ARNs (``make
  deploy``) or with CloudFormation references (``make package``).
* ``wildcards()`` lists every "*" action or resource in a template's IAM.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_FILE = ROOT / "infra" / "functions.yaml"
CODE_DIR = ROOT / "chalicelib"

# boto3 client name -> IAM service prefix, where they differ.
IAM_PREFIX = {"dynamodbstreams": "dynamodb", "sesv2": "ses", "cloudwatch": "cloudwatch"}

# API operations authorised under another action name (or several). Extend as
# new calls appear; an operation missing here is authorised as itself.
ACTION_OVERRIDES: dict[tuple[str, str], tuple[str, ...]] = {
    ("sns", "PublishBatch"): ("sns:Publish",),
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "GetBucketLocation"): ("s3:GetBucketLocation",),
    ("sesv2", "SendEmail"): ("ses:SendEmail", "ses:SendRawEmail"),
}

# boto3 conveniences that are not API operations, and what they end up calling.
CLIENT_HELPERS = {
    ("s3", "upload_file"): "PutObject",
    ("s3", "upload_fileobj"): "PutObject",
    ("s3", "download_file"): "GetObject",
    ("s3", "download_fileobj"): "GetObject",
    ("s3", "generate_presigned_post"): "PutObject",
}
NOT_CALLS = {"exceptions", "meta", "get_waiter", "can_paginate", "close", "waiter_names"}


@dataclass(frozen=True)
class AwsCall:
    module: str  # chalicelib.adapters.case_repository
    path: str  # chalicelib/adapters/case_repository.py
    line: int
    service: str  # boto3 client name
    operation: str  # API operation, e.g. PutItem
    actions: tuple[str, ...]  # IAM actions it needs

    def where(self) -> str:
        return f"{self.path}:{self.line} {self.service}.{self.operation}"


# --- finding the calls ---------------------------------------------------------------


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> API operation name, from botocore's model."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def actions_for(service: str, operation: str) -> tuple[str, ...]:
    if (service, operation) in ACTION_OVERRIDES:
        return ACTION_OVERRIDES[(service, operation)]
    return (f"{IAM_PREFIX.get(service, service)}:{operation}",)


class _ModuleScan(ast.NodeVisitor):
    """One module: which expressions are boto3 clients, and what is called on them."""

    def __init__(self, source: str):
        self.tree = ast.parse(source)
        self.aws_modules: set[str] = set()  # names bound to chalicelib.adapters.aws
        self.client_functions: set[str] = set()  # names bound to aws.client itself
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module == "chalicelib.adapters":
                self.aws_modules |= {a.asname or a.name for a in node.names if a.name == "aws"}
            elif isinstance(node, ast.ImportFrom) and node.module == "chalicelib.adapters.aws":
                self.client_functions |= {a.asname or a.name for a in node.names if a.name == "client"}
            elif isinstance(node, ast.Import):
                self.aws_modules |= {a.asname for a in node.names if a.name == "chalicelib.adapters.aws" and a.asname}
        self.returning: dict[str, str] = {}  # function or method name -> service of the client it returns
        self.self_attributes: dict[str, str] = {}  # self.<attr> = client
        for _ in range(2):  # helpers returning helpers' clients
            for node in ast.walk(self.tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Return) and inner.value is not None:
                            service = self.service_of(inner.value, {})
                            if service:
                                self.returning[node.name] = service
                elif isinstance(node, ast.Assign):
                    service = self.service_of(node.value, {})
                    for target in node.targets:
                        if service and isinstance(target, ast.Attribute) and _is_self(target.value):
                            self.self_attributes[target.attr] = service

    def service_of(self, node: ast.AST, local: dict[str, str]) -> str | None:
        """The boto3 service if ``node`` evaluates to a client, else None."""
        if isinstance(node, ast.Call):
            func = node.func
            is_client = (
                isinstance(func, ast.Attribute)
                and func.attr == "client"
                and isinstance(func.value, ast.Name)
                and func.value.id in self.aws_modules
            ) or (isinstance(func, ast.Name) and func.id in self.client_functions)
            if is_client and node.args and isinstance(node.args[0], ast.Constant):
                return str(node.args[0].value)
            if isinstance(func, ast.Name) and func.id in self.returning:
                return self.returning[func.id]
            if isinstance(func, ast.Attribute) and _is_self(func.value) and func.attr in self.returning:
                return self.returning[func.attr]
        if isinstance(node, ast.Name):
            return local.get(node.id)
        if isinstance(node, ast.Attribute) and _is_self(node.value):
            return self.self_attributes.get(node.attr) or self.returning.get(node.attr)  # attribute or @property
        return None

    def calls(self) -> Iterator[tuple[int, str, str]]:
        """(line, service, snake_case method) for every method called on a client."""
        scopes: list[ast.AST] = [
            n for n in ast.walk(self.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        scopes.append(self.tree)
        seen: set[tuple[int, int]] = set()
        for scope in scopes:
            local: dict[str, str] = {}
            for node in ast.walk(scope):
                if isinstance(node, ast.Assign):
                    service = self.service_of(node.value, local)
                    if service:
                        local.update({t.id: service for t in node.targets if isinstance(t, ast.Name)})
            for node in ast.walk(scope):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                service = self.service_of(node.func.value, local)
                key = (node.lineno, node.col_offset)
                if service is None or key in seen:
                    continue
                seen.add(key)
                method = node.func.attr
                if method in ("get_paginator", "generate_presigned_url"):
                    argument = node.args[0] if node.args else None
                    if isinstance(argument, ast.Constant):
                        method = str(argument.value)
                    else:
                        raise ValueError(f"line {node.lineno}: {method} needs a literal operation name")
                yield node.lineno, service, method


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def aws_calls(code_dir: Path = CODE_DIR) -> list[AwsCall]:
    found = []
    for path in sorted(code_dir.rglob("*.py")):
        relative = path.relative_to(code_dir.parent)
        module = ".".join(relative.with_suffix("").parts)
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        if module == "chalicelib.adapters.aws":
            continue  # the client factory itself
        for line, service, method in _ModuleScan(path.read_text()).calls():
            if method in NOT_CALLS:
                continue
            operation = CLIENT_HELPERS.get((service, method)) or _operations(service).get(method)
            if operation is None:
                raise ValueError(
                    f"{relative}:{line}: {service}.{method} is not a {service} API operation; "
                    "add it to CLIENT_HELPERS or NOT_CALLS in infra/iam.py"
                )
            found.append(AwsCall(module, str(relative), line, service, operation, actions_for(service, operation)))
    return found


# --- which code each function runs -------------------------------------------------------


def load_functions(path: Path = FUNCTIONS_FILE) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def app_functions(app_module: Any) -> dict[str, Any]:
    """Chalice function name -> its event source config (None for the API handler)."""
    app = app_module.app
    functions: dict[str, Any] = {}
    if app.routes:
        functions["api_handler"] = None
    for source in app.event_sources:
        functions[source.name] = source
    for pure in getattr(app, "pure_lambda_functions", []):
        functions[pure.name] = pure
    for authorizer in getattr(app, "builtin_auth_handlers", []):
        functions[authorizer.name] = authorizer  # a custom authorizer is a Lambda function of its own
    return functions


def handler_roots(app_path: Path = ROOT / "app.py") -> dict[str, set[str]]:
    """The chalicelib modules each function starts from: the blueprints for the
    API handler, the modules imported by an event handler's body."""
    tree = ast.parse(app_path.read_text())
    roots: dict[str, set[str]] = {"api_handler": set()}
    blueprints: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chalicelib"):
            for alias in node.names:
                blueprints[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for walked in ast.walk(tree):
        if (
            isinstance(walked, ast.Call)
            and isinstance(walked.func, ast.Attribute)
            and walked.func.attr == "register_blueprint"
            and walked.args
        ):
            target = walked.args[0]
            name = target.value.id if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) else None
            if name in blueprints:
                roots["api_handler"].add(blueprints[name])
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            roots[node.name] = {imported for inner in ast.walk(node) for imported in _imported(inner)}
    return roots


def _imported(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield node.module
        for alias in node.names:
            yield f"{node.module}.{alias.name}"
    elif isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name


def import_closure(roots: set[str], root_dir: Path = ROOT) -> set[str]:
    """Every chalicelib module reachable from ``roots`` by imports (lazy ones too)."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        module = pending.pop()
        if module in seen or not module.startswith("chalicelib"):
            continue
        path = root_dir.joinpath(*module.split("."))
        file = path.with_suffix(".py") if path.with_suffix(".py").exists() else path / "__init__.py"
        if not file.exists():
            continue  # "from package import name" where name is not a module
        seen.add(module)
        tree = ast.parse(file.read_text())
        package = module if file.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                pending += [target] + [f"{target}.{alias.name}" for alias in node.names]
            else:
                pending += list(_imported(node))
    return seen


# --- rendering ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9:]+)\}")
LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
TRACING_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def lambda_name(function: str, stage: str, app_name: str = "crm") -> str:
    """Chalice's name for the deployed function (``chalice deploy`` and our package)."""
    return f"{app_name}-{stage}" if function == "api_handler" else f"{app_name}-{stage}-{function}"


def statements(function: str, stage: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The function's statements as written, plus its own log group and X-Ray tracing."""
    log_group = (
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
        f"/aws/lambda/{lambda_name(function, stage)}"
    )
    return [
        {"Sid": "OwnLogGroup", "Action": LOG_ACTIONS, "Resource": [log_group, f"{log_group}:*"]},
        # Active tracing (.chalice/config.json "xray") sends the function's segments with its role.
        {"Sid": "XRayTracing", "Action": TRACING_ACTIONS, "Resource": ["*"]},
        *spec.get("statements", []),
    ]


def wildcard_exceptions(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(function, action) pairs allowed on a "*" resource; ``function: "*"`` means every function."""
    every = list(spec["functions"])
    return {
        (function, entry["action"])
        for entry in spec.get("wildcard_exceptions") or []
        for function in (every if entry["function"] == "*" else [entry["function"]])
    }


def policy_document(function: str, stage: str, spec: dict[str, Any], resolve: Callable[[str], Any]) -> dict[str, Any]:
    """The IAM policy; ``resolve(text)`` turns ``${Output}``/``${AWS::...}`` text into a value."""
    rendered = []
    for statement in statements(function, stage, spec):
        resources = [resolve(text.replace("${Stage}", stage)) for text in statement["Resource"]]
        rendered.append(
            {
                "Sid": statement["Sid"],
                "Effect": "Allow",
                "Action": list(statement["Action"]),
                "Resource": resources,
                **({"Condition": statement["Condition"]} if "Condition" in statement else {}),
            }
        )
    return {"Version": "2012-10-17", "Statement": rendered}


def concrete_resolver(outputs: dict[str, str], region: str, account: str, partition: str = "aws") -> Callable:
    pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": partition}

    def resolve(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in pseudo:
                return pseudo[name]
            if name not in outputs:
                raise KeyError(f"{text}: the infra stack has no output {name}")
            return outputs[name]

        return _PLACEHOLDER.sub(one, text)

    return resolve


def reference_resolver(template_outputs: dict[str, Any]) -> Callable:
    """``${Output}`` -> Fn::Sub with the output's own value expression (one merged stack)."""

    def resolve(text: str) -> Any:
        variables = {}
        for name in _PLACEHOLDER.findall(text):
            if name.startswith("AWS::"):
                continue
            if name not in template_outputs:
                raise KeyError(f"{text}: infra/template.yaml has no output {name}")
            variables[name] = template_outputs[name]["Value"]
        if not variables:
            return {"Fn::Sub": text} if "${" in text else text
        return {"Fn::Sub": [text, variables]}

    return resolve


# --- checks --------------------------------------------------------------------------------


def action_allowed(action: str, allowed: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in allowed)


def wildcards(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(role logical id, action or resource, what) for every wildcard in the template's IAM."""
    found = []
    for lid, resource in template.get("Resources", {}).items():
        if resource.get("Type") not in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        properties = resource.get("Properties", {})
        documents = [p.get("PolicyDocument", {}) for p in properties.get("Policies", [])]
        if "PolicyDocument" in properties:
            documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in _as_list(document.get("Statement")):
                if statement.get("Effect") != "Allow":
                    continue
                actions = _as_list(statement.get("Action")) + _as_list(statement.get("NotAction"))
                for action in actions:
                    if "*" in str(action):
                        found.append((lid, str(action), "action"))
                for item in _as_list(statement.get("Resource")) + _as_list(statement.get("NotResource")):
                    text = _resource_text(item)
                    if is_wildcard_resource(text):
                        for action in actions:
                            found.append((lid, f"{action} on {text}", "resource"))
    return found


def is_wildcard_resource(text: str) -> bool:
    """ "*", or an ARN whose partition/service/region/account or whole resource is "*"."""
    if text.strip() == "*":
        return True
    parts = text.split(":", 5)
    if text.startswith("${"):
        return False  # a named stack resource (an output), narrowed further by what follows
    if len(parts) < 6 or parts[0] != "arn":
        return "*" in text
    return any("*" in part for part in parts[1:5]) or parts[5] in ("*", "*/*")


def _resource_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and "Fn::Sub" in item:
        value = item["Fn::Sub"]
        return value if isinstance(value, str) else value[0]
    return f"<{item}>"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
