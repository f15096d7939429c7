#!/usr/bin/env python3
"""Validates GraphQL operations against a schema (Linear's, Vendor/linear/schema.graphql).

Usage: validate-graphql.py SCHEMA OPERATIONS.json

OPERATIONS.json is a list of {"query": "...", "variables": {...}?}. Each document is parsed and
validated with graphql-core (fields, arguments, types, fragments: the GraphQL specification's
validation rules); when variables are given, they are coerced against the operation's variable
definitions, so an input object with a field the schema does not have, or a value of the wrong
type, fails too. Prints one line per problem and exits 1 when there is any, 0 when every
operation holds. graphql-core is installed by `scripts/install-deps.sh --test` into
.build/graphql-venv; run this with that venv's python.
"""

import json
import sys

from graphql import GraphQLError, build_schema, parse, validate
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode


def operation_name(document):
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name else "anonymous"
    return "no operation"


def check(schema, entry):
    """The problems of one operation, as lines."""
    query = entry.get("query")
    if not isinstance(query, str):
        return ["an entry without a query string"]
    try:
        document = parse(query)
    except GraphQLError as error:
        return [f"(unparsed): {error.message}"]
    name = operation_name(document)
    problems = [f"{name}: {error.message}" for error in validate(schema, document)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        problems.append(f"{name}: a document Baton sends holds exactly one operation")
    if problems or "variables" not in entry:
        return problems
    variables = entry["variables"]
    if not isinstance(variables, dict):
        return [f"{name}: variables must be an object"]
    coerced = get_variable_values(schema, operations[0].variable_definitions or [], variables)
    if isinstance(coerced, list):
        problems += [f"{name}: variables: {error.message}" for error in coerced]
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = build_schema(f.read())
    with open(argv[2], encoding="utf-8") as f:
        entries = json.load(f)
    problems = []
    for entry in entries:
        problems += check(schema, entry)
    for problem in problems:
        print(problem)
    print(f"validate-graphql: {len(entries)} operations, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
