"""A GraphQL SDL definition as a list of its types and their fields, parsed with graphql-core.

Only the SDL is parsed (never executed or validated against a schema), with graphql-core's own token and
length limits so a hostile definition cannot make the parser run away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import GraphQLError, parse, print_ast
from graphql.language import (
    DirectiveDefinitionNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)

from greenroom.plugins.catalog.views.loading import DefinitionError

MAX_TOKENS = 200_000
MAX_SOURCE = 2 * 1024 * 1024


@dataclass
class GraphQLField:
    """A field (or input value or enum value): `type` is printed SDL such as `[User!]!`."""

    name: str
    type: str = ""
    arguments: str = ""
    description: str = ""
    deprecated: bool = False


@dataclass
class GraphQLType:
    kind: str
    name: str
    description: str = ""
    extension: bool = False
    implements: list[str] = field(default_factory=list)
    fields: list[GraphQLField] = field(default_factory=list)


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "type", ObjectTypeExtensionNode: "type",
    InterfaceTypeDefinitionNode: "interface", InterfaceTypeExtensionNode: "interface",
    InputObjectTypeDefinitionNode: "input", InputObjectTypeExtensionNode: "input",
    EnumTypeDefinitionNode: "enum", EnumTypeExtensionNode: "enum",
    UnionTypeDefinitionNode: "union", UnionTypeExtensionNode: "union",
    ScalarTypeDefinitionNode: "scalar", DirectiveDefinitionNode: "directive", SchemaDefinitionNode: "schema",
}


def _deprecated(node: object) -> bool:
    return any(d.name.value == "deprecated" for d in getattr(node, "directives", None) or ())


def _description(node: object) -> str:
    desc = getattr(node, "description", None)
    return str(desc.value) if desc is not None else ""


def read_graphql(text: str) -> list[GraphQLType]:
    """The types of an SDL document in source order; raises DefinitionError with the parser's message."""
    if len(text) > MAX_SOURCE:
        raise DefinitionError(f"the definition is longer than {MAX_SOURCE // (1024 * 1024)} MiB")
    try:
        document = parse(text, no_location=False, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        where = ""
        if exc.locations:
            where = f" at line {exc.locations[0].line}, column {exc.locations[0].column}"
        raise DefinitionError(f"the GraphQL schema does not parse{where}: {exc.message}") from None
    except RecursionError:
        raise DefinitionError("the GraphQL schema is nested too deeply") from None
    types: list[GraphQLType] = []
    for node in document.definitions:
        kind = _KINDS.get(type(node))
        if kind is None:
            continue  # Operations and fragments in an SDL file are not part of the schema's shape.
        if isinstance(node, SchemaDefinitionNode):
            item = GraphQLType(kind, "schema", _description(node))
            item.fields = [GraphQLField(op.operation.value, op.type.name.value) for op in node.operation_types]
            types.append(item)
            continue
        name = getattr(node, "name", None)
        item = GraphQLType(kind, name.value if name is not None else "", _description(node),
                           extension="Extension" in type(node).__name__)
        item.implements = [i.name.value for i in getattr(node, "interfaces", None) or ()]
        if isinstance(node, DirectiveDefinitionNode):
            item.fields = [GraphQLField(a.name.value, print_ast(a.type), description=_description(a))
                           for a in node.arguments or ()]
        elif isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            item.fields = [GraphQLField(v.name.value, description=_description(v), deprecated=_deprecated(v))
                           for v in node.values or ()]
        elif isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            item.fields = [GraphQLField(t.name.value) for t in node.types or ()]
        else:
            for f in getattr(node, "fields", None) or ():
                args = ", ".join(f"{a.name.value}: {print_ast(a.type)}" for a in getattr(f, "arguments", None) or ())
                item.fields.append(GraphQLField(f.name.value, print_ast(f.type), args, _description(f),
                                                _deprecated(f)))
        types.append(item)
    return types
